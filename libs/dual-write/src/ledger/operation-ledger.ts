import type { Pool } from 'pg';

export type WriteOperation = 'create' | 'update' | 'upsert' | 'delete' | 'batch';

/**
 * pending: recorded, stores being written · applied: every store that should hold it does ·
 * primary_failed: the primary rejected it (the secondary keeps nothing of it) ·
 * secondary_pending: the primary holds it, the secondary still has to (replay queue) ·
 * dead: replay gave up after its attempts; an operator decides.
 */
export type OperationStatus = 'pending' | 'applied' | 'primary_failed' | 'secondary_pending' | 'dead';

export interface NewOperation {
  opId: string;
  entity: string;
  operation: WriteOperation;
  entityIds: string[];
  /** What the replay needs to apply the write again: the rows or patch, in domain field names. */
  payload: unknown;
  primaryStore: string;
  secondaryStore: string | null;
  /** The mode the write ran in (DualWriteModeName); the alert rules compare phases by it. */
  mode?: string;
}

/** ok · failed · timeout · skipped (breaker open) · compensated (undone after the primary rejected it). */
export type ObservedStoreOutcome = 'ok' | 'failed' | 'timeout' | 'skipped' | 'compensated';

/** How a write went on each store, kept on its ledger row for the alert rules (every process reads them). */
export interface OperationObservation {
  primaryOutcome: ObservedStoreOutcome | null;
  /** Null when the write had no secondary (single-store modes). */
  secondaryOutcome: ObservedStoreOutcome | null;
  primaryLatencyMs: number | null;
  secondaryLatencyMs: number | null;
  /** What the caller waited for: from planning the write to marking it in the ledger. */
  pathLatencyMs: number | null;
}

export interface OperationRecord extends NewOperation {
  status: OperationStatus;
  /** The primary's answer, returned again to a caller retrying the same opId. */
  result: unknown;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface OperationRow {
  op_id: string;
  entity: string;
  operation: WriteOperation;
  entity_ids: string[];
  payload: unknown;
  primary_store: string;
  secondary_store: string | null;
  status: OperationStatus;
  result: unknown;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, result, attempts, last_error, created_at, updated_at';

function toRecord(row: OperationRow): OperationRecord {
  return {
    opId: row.op_id,
    entity: row.entity,
    operation: row.operation,
    entityIds: row.entity_ids,
    payload: row.payload,
    primaryStore: row.primary_store,
    secondaryStore: row.secondary_store,
    status: row.status,
    result: row.result,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Longest error text kept per operation; the rest is noise in a ledger row. */
const MAX_ERROR_LENGTH = 2_000;

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}

/**
 * The operation ledger (table dual_write_ops): one row per logical write, keyed by its opId. It makes retries
 * and replays idempotent and keeps every secondary write that still has to happen, even while Redis is away.
 */
export class OperationLedger {
  constructor(private readonly pool: Pool) {}

  /** Records the operation as pending. When the opId is known already, returns the existing record instead. */
  async claim(operation: NewOperation): Promise<{ created: boolean; record: OperationRecord }> {
    const inserted = await this.pool.query<OperationRow>(
      `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, mode)
       values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)
       on conflict (op_id) do nothing
       returning ${COLUMNS}`,
      [
        operation.opId,
        operation.entity,
        operation.operation,
        operation.entityIds,
        JSON.stringify(operation.payload ?? null),
        operation.primaryStore,
        operation.secondaryStore,
        operation.mode ?? null,
      ],
    );
    if (inserted.rows[0]) return { created: true, record: toRecord(inserted.rows[0]) };
    const existing = await this.get(operation.opId);
    if (!existing) throw new Error(`operation ${operation.opId} vanished while being claimed`);
    return { created: false, record: existing };
  }

  async get(opId: string): Promise<OperationRecord | null> {
    const { rows } = await this.pool.query<OperationRow>(`select ${COLUMNS} from dual_write_ops where op_id = $1`, [opId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async markApplied(opId: string, result?: unknown, observation?: OperationObservation): Promise<void> {
    await this.update(opId, `status = 'applied', result = coalesce($2, result), last_error = null`, [
      result === undefined ? null : JSON.stringify(result),
    ], observation);
  }

  /** Keys known only after the primary wrote (database-assigned). */
  async setEntityIds(opId: string, entityIds: string[]): Promise<void> {
    await this.update(opId, 'entity_ids = $2', [entityIds]);
  }

  async markPrimaryFailed(opId: string, error: unknown, observation?: OperationObservation): Promise<void> {
    await this.update(opId, `status = 'primary_failed', last_error = $2`, [errorText(error)], observation);
  }

  /** The primary holds the write; the secondary has yet to (failed, timed out, or skipped by its breaker). */
  async markSecondaryPending(opId: string, result: unknown, reason: unknown, observation?: OperationObservation): Promise<void> {
    await this.update(opId, `status = 'secondary_pending', result = $2, last_error = $3`, [
      JSON.stringify(result ?? null),
      errorText(reason),
    ], observation);
  }

  /**
   * Operations left `pending` for longer than `olderThan` while a secondary should hold them: the process writing
   * them stopped before it recorded how the write ended. They become owed, so a replay (which copies the primary's
   * rows by key) settles the secondary either way. Returns their opIds.
   */
  async markStalePendingOwed(olderThan: Date, limit = 500): Promise<string[]> {
    const { rows } = await this.pool.query<{ op_id: string }>(
      `update dual_write_ops set status = 'secondary_pending', updated_at = now(),
              last_error = 'left pending by the process that wrote it; the replay copies the primary''s rows'
        where op_id in (select op_id from dual_write_ops
                         where status = 'pending' and secondary_store is not null and updated_at < $1
                         order by created_at limit $2 for update skip locked)
        returning op_id`,
      [olderThan, limit],
    );
    return rows.map((row) => row.op_id);
  }

  /** One more failed replay attempt; returns the attempts so far. */
  async recordFailedAttempt(opId: string, error: unknown): Promise<number> {
    const { rows } = await this.pool.query<{ attempts: number }>(
      `update dual_write_ops set attempts = attempts + 1, last_error = $2, updated_at = now() where op_id = $1 returning attempts`,
      [opId, errorText(error)],
    );
    if (!rows[0]) throw new Error(`operation ${opId} is not in the ledger`);
    return rows[0].attempts;
  }

  async markDead(opId: string, error: unknown): Promise<void> {
    await this.update(opId, `status = 'dead', last_error = $2`, [errorText(error)]);
  }

  /** Operations in a status, oldest first (e.g. secondary_pending ones to re-queue after Redis was away). */
  async listByStatus(status: OperationStatus, limit = 100, updatedBefore?: Date): Promise<OperationRecord[]> {
    const { rows } = await this.pool.query<OperationRow>(
      `select ${COLUMNS} from dual_write_ops
        where status = $1 and ($3::timestamptz is null or updated_at < $3)
        order by created_at, op_id limit $2`,
      [status, limit, updatedBefore ?? null],
    );
    return rows.map(toRecord);
  }

  async countByStatus(): Promise<Record<OperationStatus, number>> {
    const counts: Record<OperationStatus, number> = { pending: 0, applied: 0, primary_failed: 0, secondary_pending: 0, dead: 0 };
    const { rows } = await this.pool.query<{ status: OperationStatus; n: string }>(
      'select status, count(*) as n from dual_write_ops group by status',
    );
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  /** When the oldest operation the secondary still owes was written (the replay lag); null when none is owed. */
  async oldestOwedAt(): Promise<Date | null> {
    const { rows } = await this.pool.query<{ oldest: Date | null }>(
      `select min(created_at) as oldest from dual_write_ops where status = 'secondary_pending'`,
    );
    return rows[0]?.oldest ?? null;
  }

  private async update(opId: string, assignments: string, values: unknown[], observation?: OperationObservation): Promise<void> {
    const observed = observation ? withObservation(values.length + 2, observation) : { sql: '', values: [] };
    const { rowCount } = await this.pool.query(
      `update dual_write_ops set ${assignments}${observed.sql}, updated_at = now() where op_id = $1`,
      [opId, ...values, ...observed.values],
    );
    if (rowCount === 0) throw new Error(`operation ${opId} is not in the ledger`);
  }
}

/** The observation columns for an update, numbered from `first`; a replay (no observation) keeps the write's own. */
function withObservation(first: number, observation: OperationObservation): { sql: string; values: unknown[] } {
  const columns: [string, unknown][] = [
    ['primary_outcome', observation.primaryOutcome],
    ['secondary_outcome', observation.secondaryOutcome],
    ['primary_latency_ms', observation.primaryLatencyMs],
    ['secondary_latency_ms', observation.secondaryLatencyMs],
    ['path_latency_ms', observation.pathLatencyMs],
  ];
  return {
    sql: columns.map(([column], index) => `, ${column} = $${first + index}`).join(''),
    values: columns.map(([, value]) => value),
  };
}
