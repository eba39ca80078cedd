import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { UnknownEntityError, type EntityDefinition, type EntityRegistry, type Page, type Row } from '@dualwrite/dual-write';
import { v7 as uuidv7 } from 'uuid';
import { API_STORES, ENTITY_REGISTRY } from '../api.tokens';
import type { ApiStores } from '../stores/api-stores';
import { invalidBody, parseCreateBody, parsePatchBody } from './entity-body.parser';
import { parseEntityKey } from './entity-key.parser';
import { parseListQuery } from './list-query.parser';

/**
 * Row CRUD of the example host app. All store access of the host routes is here, on store A for now;
 * the dual-write engine replaces the store calls without the controller changing.
 */
@Injectable()
export class EntityRowsService {
  constructor(
    @Inject(ENTITY_REGISTRY) private readonly registry: EntityRegistry,
    @Inject(API_STORES) private readonly stores: ApiStores,
  ) {}

  async create(entityName: string, body: unknown): Promise<Row> {
    const entity = this.entity(entityName);
    const row = parseCreateBody(entity, this.withAssignedKey(entity, body));
    return this.stores.storeA.insert(entity, row);
  }

  async list(entityName: string, limit?: string, after?: string): Promise<Page> {
    const entity = this.entity(entityName);
    return this.stores.storeA.page(entity, parseListQuery(entity, limit, after));
  }

  async get(entityName: string, idText: string): Promise<Row> {
    const entity = this.entity(entityName);
    const id = parseEntityKey(entity, idText);
    const row = await this.stores.storeA.get(entity, id);
    if (row === null) throw new NotFoundException(`${entity.name} ${id} does not exist.`);
    return row;
  }

  async update(entityName: string, idText: string, body: unknown): Promise<Row> {
    const entity = this.entity(entityName);
    const id = parseEntityKey(entity, idText);
    return this.stores.storeA.update(entity, id, parsePatchBody(entity, body));
  }

  async delete(entityName: string, idText: string): Promise<Row> {
    const entity = this.entity(entityName);
    return this.stores.storeA.delete(entity, parseEntityKey(entity, idText));
  }

  private entity(name: string): EntityDefinition {
    try {
      return this.registry.get(name);
    } catch (error) {
      if (error instanceof UnknownEntityError) throw new NotFoundException(error.message);
      throw error;
    }
  }

  /**
   * Application-assigned keys are UUID v7 (time-ordered, so keyset pages follow creation order). Serial keys
   * come from the database only: a client-chosen one would collide with the sequence later.
   */
  private withAssignedKey(entity: EntityDefinition, body: unknown): unknown {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const row = body as Row;
    const key = entity.primaryKey;
    if (entity.keyStrategy === 'serial' && row[key] !== undefined) {
      throw invalidBody(entity, [{ path: key, message: 'assigned by the database (serial key); leave it out' }]);
    }
    return entity.keyStrategy === 'uuid' && row[key] === undefined ? { ...row, [key]: uuidv7() } : row;
  }
}
