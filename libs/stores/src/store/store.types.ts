import type { EntityDefinition, Row, RowKey } from '../entity/entity.types';

export interface KeyRange {
  /** Inclusive lower bound of the primary key; open when omitted. */
  from?: RowKey;
  /** Exclusive upper bound of the primary key; open when omitted. */
  to?: RowKey;
}

export interface PageRequest {
  /** Return rows whose primary key is strictly greater than this one (keyset pagination). */
  after?: RowKey;
  limit: number;
}

export interface Page<TRow extends Row = Row> {
  rows: TRow[];
  /** Primary key of the last row, to pass as `after`; null when this was the last page. */
  nextAfter: RowKey | null;
}

export interface RangeChecksum {
  count: number;
  /** Hex digest over the canonical rows of the range in key order; equal across stores for equal data. */
  checksum: string;
}

export interface StoreHealth {
  store: string;
  ok: boolean;
  latencyMs: number;
  detail?: string;
}

/**
 * The contract every store plugin implements. Rows are in the canonical shape (see EntityDefinition).
 * Errors are StoreError subclasses: not_found, conflict, invalid, unavailable.
 */
export interface StorePlugin {
  readonly name: string;

  get(entity: EntityDefinition, id: RowKey): Promise<Row | null>;
  /** Fails with a conflict when the key exists. Returns the stored row (database defaults filled). */
  insert(entity: EntityDefinition, row: Row): Promise<Row>;
  /**
   * Inserts every row in one statement: all or none, a conflict when any key exists. Returns the stored rows
   * (database defaults filled) in no particular order.
   */
  insertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]>;
  /** Fails with not_found when the key is absent. `patch` never changes the primary key. */
  update(entity: EntityDefinition, id: RowKey, patch: Row): Promise<Row>;
  upsert(entity: EntityDefinition, row: Row): Promise<Row>;
  /** Fails with not_found when the key is absent; returns the deleted row. */
  delete(entity: EntityDefinition, id: RowKey): Promise<Row>;
  /** All rows or none: one statement or transaction. Returns the number of rows written. */
  batchUpsert(entity: EntityDefinition, rows: Row[]): Promise<number>;
  /** As batchUpsert (all rows or none), returning the stored rows in no particular order. */
  upsertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]>;
  findManyByIds(entity: EntityDefinition, ids: RowKey[]): Promise<Row[]>;
  page(entity: EntityDefinition, request: PageRequest): Promise<Page>;
  count(entity: EntityDefinition, range?: KeyRange): Promise<number>;
  checksum(entity: EntityDefinition, range?: KeyRange): Promise<RangeChecksum>;
  /** Every row in key order, fetched in batches. */
  stream(entity: EntityDefinition, options?: { batchSize?: number; range?: KeyRange }): AsyncIterable<Row>;
  ping(): Promise<StoreHealth>;
  close(): Promise<void>;
  /**
   * The largest key of an entity whose key the database assigns (an int key); null when it has no row. A flip
   * of the primary moves the new primary's sequence above the old primary's highest key.
   */
  highestKey(entity: EntityDefinition): Promise<number | null>;
  /**
   * For database-assigned keys: after a row was written with an explicit key copied from the other store,
   * keep this store's key sequence at or above it. Never moves the sequence back.
   */
  keepSequenceAbove(entity: EntityDefinition, key: number): Promise<void>;
}
