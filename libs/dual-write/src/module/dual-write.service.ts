import type { Row, RowKey } from '@dualwrite/stores';
import type { DualWriteEngine } from '../engine/dual-write-engine';
import type { DualWriteResult } from '../engine/dual-write-result';
import type { Page, PageRequest } from '@dualwrite/stores';

export interface WriteOptions {
  /** Idempotency key (e.g. the request's Idempotency-Key header). */
  opId?: string;
  /** Names the caller in diffs and stats, e.g. `POST /api/budgets`. */
  endpoint?: string;
}

/** The programmatic way in: every call goes through the current mode, the ledger and the breakers. */
export class DualWriteService {
  constructor(private readonly engine: DualWriteEngine) {}

  create(entity: string, payload: unknown, options: WriteOptions = {}): Promise<DualWriteResult<Row>> {
    return this.engine.create({ entity, ...options }, payload);
  }

  update(entity: string, key: RowKey, patch: unknown, options: WriteOptions = {}): Promise<DualWriteResult<Row>> {
    return this.engine.update({ entity, ...options }, key, patch);
  }

  upsert(entity: string, payload: unknown, options: WriteOptions = {}): Promise<DualWriteResult<Row>> {
    return this.engine.upsert({ entity, ...options }, payload);
  }

  delete(entity: string, key: RowKey, options: WriteOptions = {}): Promise<DualWriteResult<Row>> {
    return this.engine.delete({ entity, ...options }, key);
  }

  /** Many rows as one unit on each store: all or none. */
  batch(entity: string, payloads: unknown[], options: WriteOptions = {}): Promise<DualWriteResult<{ count: number }>> {
    return this.engine.batch({ entity, ...options }, payloads);
  }

  find(entity: string, key: RowKey, endpoint?: string): Promise<DualWriteResult<Row | null>> {
    return this.engine.find(entity, key, endpoint);
  }

  findMany(entity: string, keys: RowKey[], endpoint?: string): Promise<DualWriteResult<Row[]>> {
    return this.engine.findMany(entity, keys, endpoint);
  }

  page(entity: string, request: PageRequest, endpoint?: string): Promise<DualWriteResult<Page>> {
    return this.engine.page(entity, request, endpoint);
  }
}
