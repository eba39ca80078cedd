import DataLoader from 'dataloader';
import type { EntityDefinition, Row } from '@dualwrite/stores';
import { primaryKeyOf } from '@dualwrite/stores';
import { isStoreError } from '@dualwrite/stores';
import type { StorePlugin } from '@dualwrite/stores';
import { BackpressureError } from './backpressure-error';
import { gatedLoader } from './dispatch-gate';

export interface InsertBatcherOptions {
  /** Most rows in one multi-row insert. Default 100. */
  maxBatchSize?: number;
  /** Batches of one entity on one store on their way at once; the next rows gather behind them. Default 1. */
  batchesInFlight?: number;
  /**
   * Most rows one store may hold in the batcher, gathering or on their way (every entity together). While a
   * store holds that many, a new create is refused at once with BackpressureError, for every store. Default 1000.
   */
  maxPending?: number;
}

/** One create's admission, taken when the first store sees its row and kept for every other store. */
type Admission = true | BackpressureError;

/**
 * Group commit for creates: concurrent inserts of one entity into one store leave as one multi-row insert.
 * A create that finds nothing on its way goes out at once as a plain insert, so a quiet service waits for
 * nothing; under load, rows gather while the previous batch is out and leave together when it is back, which
 * saves a round trip (and for Supabase an HTTP request) per row.
 *
 * Every caller gets its own row's answer: when a batch is refused (a conflict, a constraint), each of its rows
 * is tried again on its own; when the store is unavailable, every caller gets that error.
 * Rows must carry their primary key (database-assigned keys cannot be matched back to callers).
 *
 * The queue is bounded (`maxPending` rows per store). A create is admitted or refused once, when the first
 * store sees its row (the same row object), and every other store follows that decision: refused when any
 * store is full, so a refused create reaches no store; admitted, it is never refused by a later store, so an
 * admitted create is never half-written. A store may hence briefly hold a few more than `maxPending`: the rows
 * admitted by another store's call and not yet handed to this one.
 */
export class InsertBatcher {
  private readonly loaders = new WeakMap<StorePlugin, Map<string, DataLoader<Row, Row>>>();
  private readonly maxBatchSize: number;
  private readonly batchesInFlight: number;
  private readonly maxPending: number;
  /** Rows each store holds here, gathering or on their way; a store leaves the map when it holds none. */
  private readonly pending = new Map<StorePlugin, number>();
  private readonly admissions = new WeakMap<Row, Admission>();

  constructor(options: InsertBatcherOptions = {}) {
    this.maxBatchSize = options.maxBatchSize ?? 100;
    this.batchesInFlight = options.batchesInFlight ?? 1;
    this.maxPending = options.maxPending ?? 1000;
    if (!Number.isInteger(this.maxBatchSize) || this.maxBatchSize < 1) throw new Error(`maxBatchSize must be a positive integer, got ${this.maxBatchSize}`);
    if (!Number.isInteger(this.batchesInFlight) || this.batchesInFlight < 1) {
      throw new Error(`batchesInFlight must be a positive integer, got ${this.batchesInFlight}`);
    }
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1) throw new Error(`maxPending must be a positive integer, got ${this.maxPending}`);
  }

  /** Inserts the row with the next batch for its store; rejects at once with BackpressureError when the queue is full. */
  insert(store: StorePlugin, entity: EntityDefinition, row: Row): Promise<Row> {
    if (primaryKeyOf(entity, row) === undefined) {
      return Promise.reject(new Error(`${entity.name}: a batched insert needs the row's ${entity.primaryKey}`));
    }
    const admission = this.admit(row);
    if (admission !== true) return Promise.reject(admission);
    this.pending.set(store, this.pendingFor(store) + 1);
    return this.loaderFor(store, entity)
      .load(row)
      .finally(() => this.release(store));
  }

  /** Rows the store holds here now, gathering or on their way. */
  pendingFor(store: StorePlugin): number {
    return this.pending.get(store) ?? 0;
  }

  private admit(row: Row): Admission {
    const decided = this.admissions.get(row);
    if (decided !== undefined) return decided;
    let admission: Admission = true;
    for (const [store, count] of this.pending) {
      if (count >= this.maxPending) {
        admission = new BackpressureError(store.name, count, this.maxPending);
        break;
      }
    }
    this.admissions.set(row, admission);
    return admission;
  }

  private release(store: StorePlugin): void {
    const left = this.pendingFor(store) - 1;
    if (left > 0) this.pending.set(store, left);
    else this.pending.delete(store);
  }

  private loaderFor(store: StorePlugin, entity: EntityDefinition): DataLoader<Row, Row> {
    let byEntity = this.loaders.get(store);
    if (!byEntity) {
      byEntity = new Map();
      this.loaders.set(store, byEntity);
    }
    let loader = byEntity.get(entity.name);
    if (!loader) {
      loader = this.createLoader(store, entity);
      byEntity.set(entity.name, loader);
    }
    return loader;
  }

  private createLoader(store: StorePlugin, entity: EntityDefinition): DataLoader<Row, Row> {
    return gatedLoader<Row, Row>((rows) => insertRows(store, entity, rows), { maxBatchSize: this.maxBatchSize, batchesInFlight: this.batchesInFlight });
  }
}

async function insertRows(store: StorePlugin, entity: EntityDefinition, rows: readonly Row[]): Promise<(Row | Error)[]> {
  if (rows.length === 1) return [await store.insert(entity, rows[0] as Row).catch(asError)];
  try {
    const stored = await store.insertMany(entity, [...rows]);
    const byKey = new Map(stored.map((row) => [String(primaryKeyOf(entity, row)), row]));
    return rows.map(
      (row) => byKey.get(String(primaryKeyOf(entity, row))) ?? new Error(`${store.name} did not return ${entity.name} ${String(primaryKeyOf(entity, row))} after inserting it`),
    );
  } catch (error) {
    if (isStoreError(error) && error.kind === 'unavailable') return rows.map(() => asError(error));
    return Promise.all(rows.map((row) => store.insert(entity, row).catch(asError)));
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
