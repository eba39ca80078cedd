import type { EntityDefinition, FieldDefinition, Row, RowKey } from '../entity/entity.types';
import { checksumOfRows, patchWithoutKey } from '../store/canonical-row';
import { StoreConflictError, StoreError, StoreInvalidError, StoreNotFoundError, StoreUnavailableError } from '../store/store-errors';
import type { KeyRange, Page, PageRequest, RangeChecksum, StoreHealth, StorePlugin } from '../store/store.types';
import { WriteSet, boundsOf, canonicalValue, copyRow, keyComparator, keyOf, messageOf, sameValue, settle, storedKey, toStored, type KeyBounds, type Table } from './in-memory-rows';
import type { InMemoryForeignKey, InMemorySchema, InMemoryStoreCall, InMemoryStoreGate, InMemoryStoreMethod, InMemoryStoreOptions, InMemoryUniqueConstraint } from './in-memory-store.types';

export type { InMemoryForeignKey, InMemorySchema, InMemoryStoreCall, InMemoryStoreGate, InMemoryStoreMethod, InMemoryStoreOptions, InMemoryUniqueConstraint };

/**
 * A StorePlugin held in memory, for one purpose only: exploring interleavings of the real write engine with
 * fast-check's scheduler. It passes the store contract suite (in-memory-store.spec.ts), so it behaves like
 * PrismaStore and SupabaseStore on everything the suite checks; every other test uses the real stores.
 *
 * Every call takes effect atomically at one point, between a `request` and a `response` pass through the
 * optional gate, so a scheduler decides both when a call lands and when its caller hears back. Values are
 * copied on the way in (at the call, before the gate) and on the way out.
 *
 * Like PostgreSQL: keys are checked by type (a malformed uuid is invalid), rows come back in canonical shape
 * with every field, uuid keys order bytewise and int keys numerically (string keys bytewise, i.e. the C
 * collation), NOT NULL unless a field is `nullable`, generated fields take their default only when omitted
 * (timestamps: now; serial keys: a per-entity sequence that failed inserts consume too and explicit keys do
 * not move), a multi-row write is one statement (all or none). Not modelled: numeric precision and scale,
 * char(n) padding, text collations, jsonb's rejection of `\u0000`.
 */
export class InMemoryStore implements StorePlugin {
  readonly name: string;
  private readonly tables = new Map<string, Table>();
  /** Last value handed out per serial entity (PostgreSQL's sequence `last_value`). */
  private readonly sequences = new Map<string, number>();
  private readonly entities = new Map<string, EntityDefinition>();
  private readonly foreignKeys: InMemoryForeignKey[];
  private readonly unique: InMemoryUniqueConstraint[];
  private readonly defaults: Record<string, Record<string, unknown>>;
  private readonly now: () => Date;
  private readonly defaultBatchSize: number;
  private gate: InMemoryStoreGate | undefined;
  private available = true;
  private closed = false;

  constructor(options: InMemoryStoreOptions = {}) {
    this.name = options.name ?? 'memory';
    this.foreignKeys = options.schema?.foreignKeys ?? [];
    this.unique = options.schema?.unique ?? [];
    this.defaults = options.schema?.defaults ?? {};
    this.now = options.now ?? (() => new Date());
    this.gate = options.gate;
    this.defaultBatchSize = options.defaultBatchSize ?? 500;
  }

  /** Off: every call fails with StoreUnavailableError and ping reports unhealthy, until switched on again. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  /** Replaces the gate (undefined: none). */
  setGate(gate: InMemoryStoreGate | undefined): void {
    this.gate = gate;
  }

  /** Every row of an entity in key order, copied; bypasses gate, availability and close (for assertions). */
  peek(entity: EntityDefinition): Row[] {
    return this.ordered(entity, {}).map(copyRow);
  }

  async get(entity: EntityDefinition, id: RowKey): Promise<Row | null> {
    const key = this.prepare(entity, () => keyOf(this.name, entity, id));
    return this.call('get', entity, () => {
      const row = this.tables.get(entity.name)?.get(key());
      return row ? copyRow(row) : null;
    });
  }

  async insert(entity: EntityDefinition, row: Row): Promise<Row> {
    const input = this.prepare(entity, () => toStored(this.name, entity, row));
    return this.write('insert', entity, (tx) => this.insertInto(tx, entity, input()));
  }

  async insertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    const inputs = this.prepare(entity, () => rows.map((row) => toStored(this.name, entity, row)));
    return this.write('insertMany', entity, (tx) => inputs().map((input) => this.insertInto(tx, entity, input)));
  }

  async update(entity: EntityDefinition, id: RowKey, patch: Row): Promise<Row> {
    const input = this.prepare(entity, () => {
      const key = keyOf(this.name, entity, id);
      return { key, patch: patchWithoutKey(this.name, entity, key, toStored(this.name, entity, patch)) };
    });
    return this.write('update', entity, (tx) => {
      const { key, patch: changes } = input();
      return this.updateIn(tx, entity, key, changes);
    });
  }

  async upsert(entity: EntityDefinition, row: Row): Promise<Row> {
    const input = this.prepare(entity, () => toStored(this.name, entity, row));
    return this.write('upsert', entity, (tx) => this.upsertInto(tx, entity, input()));
  }

  async delete(entity: EntityDefinition, id: RowKey): Promise<Row> {
    const key = this.prepare(entity, () => keyOf(this.name, entity, id));
    return this.write('delete', entity, (tx) => {
      const existing = tx.get(entity.name, key());
      if (!existing) throw new StoreNotFoundError(this.name, `delete: no ${entity.name} with key ${String(key())}`);
      this.removeCascading(tx, entity.name, key(), existing);
      return existing;
    });
  }

  async batchUpsert(entity: EntityDefinition, rows: Row[]): Promise<number> {
    return (await this.upsertRows('batchUpsert', entity, rows)).length;
  }

  async upsertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]> {
    return this.upsertRows('upsertMany', entity, rows);
  }

  private async upsertRows(method: 'batchUpsert' | 'upsertMany', entity: EntityDefinition, rows: Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    const inputs = this.prepare(entity, () => rows.map((row) => toStored(this.name, entity, row)));
    return this.write(method, entity, (tx) => inputs().map((input) => this.upsertInto(tx, entity, input)));
  }

  async findManyByIds(entity: EntityDefinition, ids: RowKey[]): Promise<Row[]> {
    if (ids.length === 0) return [];
    const keys = this.prepare(entity, () => new Set(ids.map((id) => keyOf(this.name, entity, id))));
    return this.call('findManyByIds', entity, () => {
      const wanted = keys();
      return this.ordered(entity, {}).filter((row) => wanted.has(storedKey(entity, row))).map(copyRow);
    });
  }

  async page(entity: EntityDefinition, request: PageRequest): Promise<Page> {
    return this.pageWithin('page', entity, {}, request);
  }

  async count(entity: EntityDefinition, range?: KeyRange): Promise<number> {
    const bounds = this.prepare(entity, () => boundsOf(this.name, entity, range));
    return this.call('count', entity, () => this.ordered(entity, bounds()).length);
  }

  async checksum(entity: EntityDefinition, range?: KeyRange): Promise<RangeChecksum> {
    const bounds = this.prepare(entity, () => boundsOf(this.name, entity, range));
    return this.call('checksum', entity, () => checksumOfRows(entity, this.ordered(entity, bounds())));
  }

  async *stream(entity: EntityDefinition, options: { batchSize?: number; range?: KeyRange } = {}): AsyncIterable<Row> {
    const limit = options.batchSize ?? this.defaultBatchSize;
    let after: RowKey | undefined;
    for (;;) {
      const page = await this.pageWithin('stream', entity, options.range ?? {}, { after, limit });
      yield* page.rows;
      if (page.nextAfter === null) return;
      after = page.nextAfter;
    }
  }

  async ping(): Promise<StoreHealth> {
    const started = performance.now();
    const latencyMs = (): number => Math.round(performance.now() - started);
    try {
      await this.call('ping', undefined, () => undefined);
      return { store: this.name, ok: true, latencyMs: latencyMs() };
    } catch (error) {
      return { store: this.name, ok: false, latencyMs: latencyMs(), detail: messageOf(error) };
    }
  }

  async highestKey(entity: EntityDefinition): Promise<number | null> {
    return this.call('highestKey', entity, () => {
      const keys = this.ordered(entity, {}).map((row) => Number(row[entity.primaryKey]));
      return keys.length === 0 ? null : Math.max(...keys);
    });
  }

  async keepSequenceAbove(entity: EntityDefinition, key: number): Promise<void> {
    const input = this.prepare(entity, () => {
      if (entity.fields[entity.primaryKey]?.type !== 'int') {
        throw new StoreInvalidError(this.name, `entity "${entity.name}": only an int key has a sequence`);
      }
      if (!Number.isSafeInteger(key)) throw new StoreInvalidError(this.name, `keepSequenceAbove needs an integer key, got ${key}`);
      return key;
    });
    return this.call('keepSequenceAbove', entity, () => {
      // setval(greatest(key, last_value, 1)): the next key handed out is above all three.
      this.sequences.set(entity.name, Math.max(input(), this.sequences.get(entity.name) ?? 0, 1));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // -------------------------------------------------------------------------------------------
  // Calls

  /** Learns the entity and copies the call's inputs now; what failed is thrown when the call takes effect. */
  private prepare<T>(entity: EntityDefinition, work: () => T): () => T {
    this.entities.set(entity.name, entity);
    return settle(work);
  }

  private async call<T>(method: InMemoryStoreMethod, entity: EntityDefinition | undefined, effect: () => T): Promise<T> {
    const call = { store: this.name, method, entity: entity?.name };
    await this.pass({ ...call, phase: 'request' });
    if (this.closed) throw new StoreUnavailableError(this.name, 'the in-memory store is closed');
    if (!this.available) throw new StoreUnavailableError(this.name, 'the in-memory store is unavailable (setAvailable(false))');
    const result = effect();
    await this.pass({ ...call, phase: 'response' });
    return result;
  }

  /** One statement: all of its writes or none, rows returned as copies. */
  private write<T extends Row | Row[] | number>(method: InMemoryStoreMethod, entity: EntityDefinition, work: (tx: WriteSet) => T): Promise<T> {
    return this.call(method, entity, () => {
      const tx = new WriteSet(this.tables, this.now());
      const result = work(tx);
      this.checkNoActionReferences(tx);
      tx.commit();
      if (typeof result === 'number') return result;
      return (Array.isArray(result) ? result.map(copyRow) : copyRow(result)) as T;
    });
  }

  private async pass(call: InMemoryStoreCall): Promise<void> {
    if (!this.gate) return;
    try {
      await this.gate(call);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreUnavailableError(this.name, `${call.method} failed at its ${call.phase}: ${messageOf(error)}`, undefined, { cause: error });
    }
  }

  private async pageWithin(method: 'page' | 'stream', entity: EntityDefinition, range: KeyRange, request: PageRequest): Promise<Page> {
    const input = this.prepare(entity, () => {
      if (!Number.isInteger(request.limit) || request.limit < 1) {
        throw new StoreInvalidError(this.name, `page limit must be a positive integer, got ${request.limit}`);
      }
      return boundsOf(this.name, entity, range, request.after);
    });
    return this.call(method, entity, () => {
      const rows = this.ordered(entity, input());
      const pageRows = rows.slice(0, request.limit).map(copyRow);
      const last = pageRows[pageRows.length - 1];
      return { rows: pageRows, nextAfter: rows.length > request.limit && last ? storedKey(entity, last) : null };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  private insertInto(tx: WriteSet, entity: EntityDefinition, input: Row): Row {
    const row: Row = {};
    for (const [field, definition] of Object.entries(entity.fields)) {
      if (field in input) row[field] = input[field];
      else row[field] = definition.generated ? this.defaultOf(tx, entity, field, definition) : null;
    }
    this.checkNotNull(entity, row);
    const key = storedKey(entity, row);
    if (tx.get(entity.name, key)) {
      throw new StoreConflictError(this.name, `duplicate key ${String(key)} in ${entity.name}`, '23505');
    }
    return this.putChecked(tx, entity, key, row);
  }

  private updateIn(tx: WriteSet, entity: EntityDefinition, key: RowKey, changes: Row): Row {
    const existing = tx.get(entity.name, key);
    if (!existing) throw new StoreNotFoundError(this.name, `update: no ${entity.name} with key ${String(key)}`);
    const row = { ...existing, ...changes };
    this.checkNotNull(entity, row);
    return this.putChecked(tx, entity, key, row);
  }

  private upsertInto(tx: WriteSet, entity: EntityDefinition, input: Row): Row {
    const key = input[entity.primaryKey];
    // A row without its key (serial entities) can only be new.
    if ((typeof key === 'string' || typeof key === 'number') && tx.get(entity.name, key)) {
      const { [entity.primaryKey]: _key, ...changes } = input;
      return this.updateIn(tx, entity, key, changes);
    }
    return this.insertInto(tx, entity, input);
  }

  /** Unique constraints, then foreign keys (PostgreSQL checks them at the end of the statement; same outcome here). */
  private putChecked(tx: WriteSet, entity: EntityDefinition, key: RowKey, row: Row): Row {
    for (const constraint of this.unique) {
      if (constraint.entity !== entity.name || constraint.fields.some((field) => row[field] === null)) continue;
      for (const [otherKey, other] of tx.entries(entity.name)) {
        if (otherKey !== key && constraint.fields.every((field) => sameValue(other[field], row[field]))) {
          throw new StoreConflictError(this.name, `duplicate (${constraint.fields.join(', ')}) in ${entity.name}`, '23505');
        }
      }
    }
    for (const foreignKey of this.foreignKeys) {
      const value = row[foreignKey.field];
      if (foreignKey.entity !== entity.name || value === null) continue;
      if (!this.hasParent(tx, foreignKey, value)) {
        const { entity: parent, field } = foreignKey.references;
        throw new StoreInvalidError(
          this.name,
          `${entity.name}.${foreignKey.field} = ${String(value)} references no ${parent}.${field} (foreign key violation)`,
          '23503',
        );
      }
    }
    tx.put(entity.name, key, row);
    return row;
  }

  private hasParent(tx: WriteSet, foreignKey: InMemoryForeignKey, value: unknown): boolean {
    const { entity: parent, field } = foreignKey.references;
    if (this.entities.get(parent)?.primaryKey === field && (typeof value === 'string' || typeof value === 'number')) {
      return tx.get(parent, value) !== undefined;
    }
    for (const [, row] of tx.entries(parent)) if (sameValue(row[field], value)) return true;
    return false;
  }

  private removeCascading(tx: WriteSet, entity: string, key: RowKey, row: Row): void {
    tx.remove(entity, key, row);
    for (const foreignKey of this.foreignKeys) {
      if (foreignKey.references.entity !== entity) continue;
      const value = row[foreignKey.references.field];
      const children = [...tx.entries(foreignKey.entity)].filter(([, child]) => sameValue(child[foreignKey.field], value));
      for (const [childKey, child] of children) {
        if (foreignKey.onDelete === 'cascade') {
          if (tx.get(foreignKey.entity, childKey)) this.removeCascading(tx, foreignKey.entity, childKey, child);
        } else if (foreignKey.onDelete === 'set null') {
          const updated = { ...child, [foreignKey.field]: null };
          const childEntity = this.entities.get(foreignKey.entity);
          if (childEntity) this.checkNotNull(childEntity, updated);
          tx.put(foreignKey.entity, childKey, updated);
        }
      }
    }
  }

  /** NO ACTION: at the end of the statement no row may still reference a deleted one. */
  private checkNoActionReferences(tx: WriteSet): void {
    for (const { entity, row } of tx.removed) {
      for (const foreignKey of this.foreignKeys) {
        if (foreignKey.references.entity !== entity || (foreignKey.onDelete ?? 'no action') !== 'no action') continue;
        const value = row[foreignKey.references.field];
        if (value === null || this.hasParent(tx, foreignKey, value)) continue;
        for (const [, child] of tx.entries(foreignKey.entity)) {
          if (sameValue(child[foreignKey.field], value)) {
            throw new StoreInvalidError(
              this.name,
              `delete from ${entity} is still referenced from ${foreignKey.entity}.${foreignKey.field} (foreign key violation)`,
              '23503',
            );
          }
        }
      }
    }
  }

  private checkNotNull(entity: EntityDefinition, row: Row): void {
    for (const [field, definition] of Object.entries(entity.fields)) {
      if (row[field] === null && !definition.nullable) {
        throw new StoreInvalidError(this.name, `${entity.name}.${field} cannot be null (not-null violation)`, '23502');
      }
    }
  }

  /** The column default of a generated field the row left out. */
  private defaultOf(tx: WriteSet, entity: EntityDefinition, field: string, definition: FieldDefinition): unknown {
    const configured = this.defaults[entity.name];
    if (configured && field in configured) {
      const value = configured[field];
      return canonicalValue(this.name, entity, field, definition, typeof value === 'function' ? (value as () => unknown)() : value);
    }
    if (field === entity.primaryKey && entity.keyStrategy === 'serial' && definition.type === 'int') {
      // nextval() is not transactional: a statement that fails still used its keys.
      const next = (this.sequences.get(entity.name) ?? 0) + 1;
      this.sequences.set(entity.name, next);
      return next;
    }
    if (definition.type === 'timestamp') return new Date(tx.now.getTime());
    throw new StoreInvalidError(
      this.name,
      `${entity.name}.${field} is generated but the in-memory schema has no default for it (schema.defaults)`,
    );
  }

  /** The committed rows within the bounds, in PostgreSQL's key order (not copied). */
  private ordered(entity: EntityDefinition, bounds: KeyBounds): Row[] {
    const compare = keyComparator(entity);
    const within = (key: RowKey): boolean =>
      (bounds.from === undefined || compare(key, bounds.from) >= 0) &&
      (bounds.to === undefined || compare(key, bounds.to) < 0) &&
      (bounds.after === undefined || compare(key, bounds.after) > 0);
    return [...(this.tables.get(entity.name) ?? [])]
      .filter(([key]) => within(key))
      .sort(([a], [b]) => compare(a, b))
      .map(([, row]) => row);
  }
}
