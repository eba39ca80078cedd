import type { EntityDefinition, RowKey } from '@dualwrite/stores';

/**
 * The order keys are reconciled in, the same on every store and in Node: int keys by value, uuid keys by
 * their bytes (lower-case hex text compares the same way), text keys by their UTF-8 bytes (PostgreSQL's
 * `collate "C"`; never a locale's collation, which differs between stores and versions).
 */
export function compareKeys(entity: EntityDefinition, left: RowKey, right: RowKey): number {
  const type = keyTypeOf(entity);
  if (type === 'int') return Number(left) - Number(right);
  if (type === 'uuid') {
    const a = String(left).toLowerCase();
    const b = String(right).toLowerCase();
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return Buffer.compare(Buffer.from(String(left), 'utf8'), Buffer.from(String(right), 'utf8'));
}

/** The key as text, as the ledger (`entity_ids`) and the reports hold it: uuids in lower case, ints in digits. */
export function keyText(entity: EntityDefinition, key: RowKey): string {
  return keyTypeOf(entity) === 'uuid' ? String(key).toLowerCase() : String(key);
}

/** The key typed for a store call: ints as numbers, uuids and text as strings. */
export function keyFromText(entity: EntityDefinition, text: string): RowKey {
  return keyTypeOf(entity) === 'int' ? Number(text) : text;
}

export function keyTypeOf(entity: EntityDefinition): 'int' | 'uuid' | 'string' {
  const field = entity.fields[entity.primaryKey];
  if (!field) throw new Error(`Entity "${entity.name}": primary key "${entity.primaryKey}" is not one of its fields.`);
  if (field.type === 'int' || field.type === 'uuid' || field.type === 'string') return field.type;
  throw new Error(`Entity "${entity.name}": a primary key of type "${field.type}" cannot be reconciled; use uuid, int or string.`);
}
