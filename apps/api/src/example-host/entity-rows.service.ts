import { Injectable, NotFoundException } from '@nestjs/common';
import { DualWriteService, type DualWriteResult } from '@dualwrite/dual-write';
import { EntityRegistry, UnknownEntityError, type EntityDefinition, type Page, type Row } from '@dualwrite/stores';
import { parseEntityKey } from './entity-key.parser';
import { parseListQuery } from './list-query.parser';

/**
 * Row CRUD of the example host app, through the dual-write module: the current mode decides which stores
 * are written and which one answers. Bodies are checked against the entity's contract by the module.
 */
@Injectable()
export class EntityRowsService {
  constructor(
    private readonly registry: EntityRegistry,
    private readonly dualWrite: DualWriteService,
  ) {}

  create(entityName: string, body: unknown, opId?: string): Promise<DualWriteResult<Row>> {
    const entity = this.entity(entityName);
    return this.dualWrite.create(entity.name, body, { opId, endpoint: `POST /api/${entity.name}` });
  }

  list(entityName: string, limit?: string, after?: string): Promise<DualWriteResult<Page>> {
    const entity = this.entity(entityName);
    return this.dualWrite.page(entity.name, parseListQuery(entity, limit, after), `GET /api/${entity.name}`);
  }

  async get(entityName: string, idText: string): Promise<DualWriteResult<Row>> {
    const entity = this.entity(entityName);
    const id = parseEntityKey(entity, idText);
    const result = await this.dualWrite.find(entity.name, id, `GET /api/${entity.name}/:id`);
    if (result.data === null) throw new NotFoundException(`${entity.name} ${id} does not exist.`);
    return result as DualWriteResult<Row>;
  }

  update(entityName: string, idText: string, body: unknown, opId?: string): Promise<DualWriteResult<Row>> {
    const entity = this.entity(entityName);
    return this.dualWrite.update(entity.name, parseEntityKey(entity, idText), body, { opId, endpoint: `PATCH /api/${entity.name}/:id` });
  }

  delete(entityName: string, idText: string, opId?: string): Promise<DualWriteResult<Row>> {
    const entity = this.entity(entityName);
    return this.dualWrite.delete(entity.name, parseEntityKey(entity, idText), { opId, endpoint: `DELETE /api/${entity.name}/:id` });
  }

  private entity(name: string): EntityDefinition {
    try {
      return this.registry.get(name);
    } catch (error) {
      if (error instanceof UnknownEntityError) throw new NotFoundException(error.message);
      throw error;
    }
  }
}
