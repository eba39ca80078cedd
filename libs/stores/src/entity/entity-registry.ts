import type { EntityDefinition } from './entity.types';

export class UnknownEntityError extends Error {
  constructor(readonly entityName: string, known: string[]) {
    super(`Unknown entity "${entityName}". Known entities: ${known.join(', ') || '(none)'}.`);
    this.name = 'UnknownEntityError';
  }
}

/** The entities a host registered, looked up by name. */
export class EntityRegistry {
  private readonly byName = new Map<string, EntityDefinition>();

  constructor(entities: EntityDefinition[]) {
    for (const entity of entities) {
      if (this.byName.has(entity.name)) {
        throw new Error(`Entity "${entity.name}" is registered twice.`);
      }
      if (!entity.fields[entity.primaryKey]) {
        throw new Error(`Entity "${entity.name}": primary key "${entity.primaryKey}" is not one of its fields.`);
      }
      this.byName.set(entity.name, entity);
    }
  }

  get(name: string): EntityDefinition {
    const entity = this.byName.get(name);
    if (!entity) throw new UnknownEntityError(name, this.names());
    return entity;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  all(): EntityDefinition[] {
    return [...this.byName.values()];
  }
}
