import type { Pool, PoolClient } from 'pg';
import {
  LedgerTransitionError,
  OPERATION_STATUSES,
  PRIMARY_HOLDS_STATUSES,
  BARRIER_STATUSES,
  OPEN_STATUSES,
  isOperationStatus,
  retryAnswer,
  statusesAccepting,
  type OperationEvent,
  type OperationStatus,
} from './operation-transitions';
import { unfencedVersionSql } from '../flags/flag-repository';
import { processLiveSql } from '../flags/process-registry';
import { MAX_ERROR_LENGTH, OPERATION_COLUMNS, UNANSWERED_SQL, toRecord, type LedgerPage, type LedgerPageCursor, type NewOperation, type OperationObservation, type OperationRecord, type OperationRow, type WriteOperation } from './operation-record';
import { DeadOperations } from './dead-operations';
import { statusCaseSql } from './sync-settlement';

export type { OperationStatus };

/** The open operations counted by status; `where open` lets the planner read a partial index on it. */
export const OPEN_COUNTS_SQL = 'select status, count(*) as n from dual_write_ops where open group by status';
export type {
  LedgerPage,
  LedgerPageCursor,
  NewOperation,
  ObservedStoreOutcome,
  OperationObservation,
  OperationRecord,
  WriteOperation,
} from './operation-record';

/** Where a read runs: the pool, or a client already holding a transaction (and its locks). */
export type Queryable = Pick<Pool | PoolClient, 'query'>;
/** The values of an operation's describing columns, $1 to $8 of an insert (op_id … mode). */
function describedBy(operation: Omit<NewOperation, 'flagVersion'>): unknown[] {
  return [
    operation.opId,
    operation.entity,
    operation.operation,
    operation.entityIds,
    JSON.stringify(operation.payload ?? null),
    operation.primaryStore,
    operation.secondaryStore,
    operation.mode ?? null,
  ];
}

/** Longest error text kept per operation; the rest is noise in a ledger row. */
/** A dead operation is run again or reopened only when its primary never answered (retryAnswer): no result. */
const NO_DEAD_WITH_ANSWER_SQL = `(status <> 'dead' or ${UNANSWERED_SQL})`;

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}

/** The flags moved on (or are fenced for a flip) since the write was planned: plan it again with fresh flags. */
export class FlagsMovedError extends Error {
  constructor(readonly plannedVersion: number) {
    super(`the flags are no longer at version ${plannedVersion} (or a flip is fencing writes); plan the write again`);
    this.name = 'FlagsMovedError';
  }
}

/** What an event may record beside the status. */
export interface TransitionFields {
  /** The primary's answer, returned again to a caller retrying the same opId. */
  result?: unknown;
  /** Keys known only after the primary wrote (database-assigned). */
  entityIds?: string[];
  /** Why (a failure); null clears it. */
  lastError?: unknown;
  observation?: OperationObservation;
}

/** A write planned again after a retry of an operation nobody was told succeeded. */
export interface Reclaim {
  opId: string;
  payload: unknown;
  entityIds: string[];
  primaryStore: string;
  secondaryStore: string | null;
  mode?: string;
  flagVersion: number;
  /** The process running it again (NewOperation.claimedBy). */
  claimedBy?: string | null;
}

/** Operations claimed under older flag versions whose stores may still differ, and dead ones (data missing). */
export interface UnsettledOperations {
  unsettled: number;
  dead: number;
  sample: { opId: string; status: OperationStatus; flagVersion: number }[];
}

/**
 * The operation ledger (table dual_write_ops): one row per logical write, keyed by its opId. It makes retries
 * and replays idempotent and keeps every secondary write that still has to happen, even while Redis is away.
 * Every status change is an event of the state machine (operation-transitions.ts), applied by one conditional
 * update: an event that meets another status changes nothing and raises LedgerTransitionError.
 */
export class OperationLedger {
  /** What an operator does with dead operations: requeue, or abandon a keyless one. */
  readonly dead: DeadOperations;

  constructor(private readonly pool: Pool) {
    this.dead = new DeadOperations(pool);
  }

  /**
   * Records the operation as pending, in the same statement that checks its flag version is current and not
   * fenced (FlagsMovedError otherwise). When the opId is known already, returns the existing record instead.
   */
  async claim(operation: NewOperation): Promise<{ created: boolean; record: OperationRecord }> {
    const inserted = await this.pool.query<OperationRow>(
      `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, mode, flag_version, claimed_by)
       select $1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10
        where ${unfencedVersionSql('$9')}
       on conflict (op_id) do nothing
       returning ${OPERATION_COLUMNS}`,
      [...describedBy(operation), operation.flagVersion, operation.claimedBy ?? null],
    );
    if (inserted.rows[0]) return { created: true, record: toRecord(inserted.rows[0]) };
    const existing = await this.get(operation.opId);
    if (!existing) throw new FlagsMovedError(operation.flagVersion);
    return { created: false, record: existing };
  }

  /**
   * Records a write the primary already holds and the secondary owes (e.g. found by a backfill), as if claimed
   * under the current flag version and synced in vain: `secondary_pending`, ready for the replay queue.
   */
  async recordOwed(operation: Omit<NewOperation, 'flagVersion'>, result: unknown, reason: unknown): Promise<OperationRecord> {
    const { rows } = await this.pool.query<OperationRow>(
      `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, mode, flag_version, result, last_error)
       select $1, $2, $3, $4, $5, $6, $7, 'secondary_pending', $8, version, $9, $10 from dual_write_flags where id = 1
       returning ${OPERATION_COLUMNS}`,
      [...describedBy(operation), JSON.stringify(result ?? null), errorText(reason)],
    );
    if (!rows[0]) throw new Error('dual_write_flags has no row: run `npm run setup` to apply the control-table migrations.');
    return toRecord(rows[0]);
  }

  /** A retried operation nobody was told succeeded runs again: pending under the current flags (fenced like a claim). */
  async reclaim(retry: Reclaim): Promise<OperationRecord> {
    const accepting = statusesAccepting('retried');
    const { rows } = await this.pool.query<OperationRow>(
      `update dual_write_ops
          set status = 'pending', payload = $2, entity_ids = $3, primary_store = $4, secondary_store = $5, mode = $6,
              flag_version = $7, result = null, last_error = null, attempts = 0, claimed_by = $9, updated_at = now()
        where op_id = $1 and status = any($8) and ${NO_DEAD_WITH_ANSWER_SQL}
          and ${unfencedVersionSql('$7')}
        returning ${OPERATION_COLUMNS}`,
      [
        retry.opId,
        JSON.stringify(retry.payload ?? null),
        retry.entityIds,
        retry.primaryStore,
        retry.secondaryStore,
        retry.mode ?? null,
        retry.flagVersion,
        accepting,
        retry.claimedBy ?? null,
      ],
    );
    if (rows[0]) return toRecord(rows[0]);
    const current = await this.get(retry.opId);
    if (current && retryAnswer(current.status, current.result !== null) === 'run_again') throw new FlagsMovedError(retry.flagVersion);
    throw new LedgerTransitionError(retry.opId, current?.status ?? 'missing', 'retried');
  }

  /**
   * An `abandoned` operation whose primary write is now known to have landed (a paused process resumed after the
   * sweep took it over), or a `dead` one whose primary never answered (a serial create whose key nobody learnt),
   * becomes `primary_unavailable` again with the keys the write reported, so a flip waits for it until they are
   * synced once more. Only under the current, unfenced `flagVersion` (like a claim); false when the flags or its
   * status moved.
   */
  async reopenLanded(opId: string, flagVersion: number, entityIds: string[], lastError: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `update dual_write_ops set status = ${statusCaseSql('landed_after_takeover')}, flag_version = $2, entity_ids = $5, last_error = $3, updated_at = now()
        where op_id = $1 and status = any($4) and ${NO_DEAD_WITH_ANSWER_SQL} and ${unfencedVersionSql('$2')}`,
      [opId, flagVersion, lastError, statusesAccepting('landed_after_takeover'), entityIds],
    );
    return rowCount === 1;
  }

  async get(opId: string): Promise<OperationRecord | null> {
    const { rows } = await this.pool.query<OperationRow>(`select ${OPERATION_COLUMNS} from dual_write_ops where op_id = $1`, [opId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Applies one event of the state machine; returns the new status. */
  async transition(opId: string, event: OperationEvent, fields: TransitionFields = {}): Promise<OperationStatus> {
    const accepting = statusesAccepting(event);
    const values: unknown[] = [opId, accepting];
    const assignments = [`status = ${statusCaseSql(event)}`];
    const set = (column: string, value: unknown) => {
      values.push(value);
      assignments.push(`${column} = $${values.length}`);
    };
    if (fields.result !== undefined) set('result', JSON.stringify(fields.result ?? null));
    if (fields.entityIds !== undefined) set('entity_ids', fields.entityIds);
    if (fields.lastError !== undefined) set('last_error', fields.lastError === null ? null : errorText(fields.lastError));
    const observed = fields.observation ? withObservation(values.length + 1, fields.observation) : { sql: '', values: [] };
    const { rows } = await this.pool.query<{ status: OperationStatus }>(
      `update dual_write_ops set ${assignments.join(', ')}${observed.sql}, updated_at = now()
        where op_id = $1 and status = any($2)
        returning status`,
      [...values, ...observed.values],
    );
    if (rows[0]) return rows[0].status;
    const current = await this.get(opId);
    throw new LedgerTransitionError(opId, current?.status ?? 'missing', event);
  }

  /**
   * The sweep: operations whose writing process stopped before it recorded the primary's outcome (`pending` past
   * `olderThan`: outcome unknown) or before the sync ended (`primary_done`: the secondary owes it). Both are moved
   * on (primary_unavailable, secondary_pending) so a replay syncs their keys. Returns their opIds.
   */
  async moveStale(olderThan: Date, limit = 500): Promise<string[]> {
    return this.moveLeftOpen(`op.updated_at < $1`, [olderThan, limit], `'left ' || status || ' by the process that wrote it'`);
  }

  /**
   * The same for the operations of processes that stopped: claimed by a process that has not reported in
   * dual_write_processes for `graceMs` (or removed itself), and not moved on for as long. A process that still
   * reports keeps its operations, however old (a store call of its own may still land). Returns their opIds.
   */
  async moveLeftByStoppedProcesses(graceMs: number, limit = 500): Promise<string[]> {
    if (!Number.isInteger(graceMs) || graceMs < 0) throw new RangeError(`graceMs must be a whole number of milliseconds, got ${graceMs}`);
    return this.moveLeftOpen(
      `op.claimed_by is not null and op.updated_at < now() - make_interval(secs => $1 / 1000.0) and not ${processLiveSql('op.claimed_by', '$1')}`,
      [graceMs, limit],
      `'left ' || status || ' by process ' || claimed_by || ', which stopped'`,
    );
  }

  /** Moves the `pending` and `primary_done` operations `op` matching `condition` ($1; $2 is the limit) on, oldest first. */
  private async moveLeftOpen(condition: string, values: [unknown, number], reasonSql: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ op_id: string }>(
      `update dual_write_ops
          set status = case status when 'pending' then 'primary_unavailable' else 'secondary_pending' end,
              updated_at = now(),
              last_error = ${reasonSql} || '; the replay syncs its keys from the primary'
        where op_id in (select op.op_id from dual_write_ops as op
                         where op.open and op.status in ('pending', 'primary_done') and ${condition}
                         order by op.created_at limit $2 for update of op skip locked)
        returning op_id`,
      values,
    );
    return rows.map((row) => row.op_id);
  }

  /**
   * The newest operation on a key whose write the primary holds: a delete there proves that a row missing on the
   * primary was deleted (and may be deleted on the secondary); anything else proves nothing.
   */
  async latestHeldOperation(entity: string, key: string, via: Queryable = this.pool): Promise<{ opId: string; operation: WriteOperation } | null> {
    const { rows } = await via.query<{ op_id: string; operation: WriteOperation }>(
      `select op_id, operation from dual_write_ops
        where entity = $1 and entity_ids @> array[$2]::text[] and status = any($3)
        order by seq desc limit 1`,
      [entity, key, PRIMARY_HOLDS_STATUSES],
    );
    return rows[0] ? { opId: rows[0].op_id, operation: rows[0].operation } : null;
  }

  /**
   * Whether the ledger explains a row missing on the primary as deleted (PROTOCOL.md, mechanism 2): the newest
   * operation on the key the primary holds is a delete, or a delete of the key is still unsettled (in flight, of
   * unknown outcome, or owed). Claims are ordered, landings are not: a delete claimed before an update may land
   * after it, and a delete whose answer was lost may have landed; either explains the missing row.
   */
  async deleteProven(entity: string, key: string, via: Queryable = this.pool): Promise<{ proven: boolean; latest: { opId: string; operation: WriteOperation } | null }> {
    const latest = await this.latestHeldOperation(entity, key, via);
    if (latest?.operation === 'delete') return { proven: true, latest };
    const { rows } = await via.query<{ unsettled: boolean }>(
      `select exists (select 1 from dual_write_ops
                       where entity = $1 and entity_ids @> array[$2]::text[] and operation = 'delete' and status = any($3)) as unsettled`,
      [entity, key, BARRIER_STATUSES],
    );
    return { proven: rows[0]?.unsettled === true, latest };
  }

  /**
   * Operations claimed under a flag version older than `version` that a flip of the primary must wait for (in
   * flight, acknowledged but not yet on the secondary, of unknown outcome), and dead ones (they refuse the flip).
   */
  async unsettledBefore(version: number, sampleSize = 5): Promise<UnsettledOperations> {
    const { rows } = await this.pool.query<{ op_id: string; status: OperationStatus; flag_version: number; unsettled: string; dead: string }>(
      `select op_id, status, flag_version,
              count(*) filter (where status <> 'dead') over () as unsettled,
              count(*) filter (where status = 'dead') over () as dead
         from dual_write_ops
        where open and flag_version < $1 and status = any($2)
        order by seq limit $3`,
      [version, OPEN_STATUSES, sampleSize],
    );
    return {
      unsettled: Number(rows[0]?.unsettled ?? 0),
      dead: Number(rows[0]?.dead ?? 0),
      sample: rows.map((row) => ({ opId: row.op_id, status: row.status, flagVersion: row.flag_version })),
    };
  }

  /** One more failed replay attempt; returns the attempts so far. */
  async recordFailedAttempt(opId: string, error: unknown): Promise<number> {
    const { rows } = await this.pool.query<{ attempts: number }>(
      `update dual_write_ops set attempts = attempts + 1, last_error = $2, updated_at = now() where op_id = $1 returning attempts`,
      [opId, errorText(error)],
    );
    if (!rows[0]) throw new LedgerTransitionError(opId, 'missing', 'replay_gave_up');
    return rows[0].attempts;
  }

  /** Operations in a status, oldest first (e.g. secondary_pending ones to re-queue after Redis was away). */
  async listByStatus(status: OperationStatus, limit = 100, updatedBefore?: Date): Promise<OperationRecord[]> {
    const { rows } = await this.pool.query<OperationRow>(
      `select ${OPERATION_COLUMNS} from dual_write_ops
        where ${OPEN_STATUSES.includes(status) ? 'open and ' : ''}status = $1 and ($3::timestamptz is null or updated_at < $3)
        order by created_at, op_id limit $2`,
      [status, limit, updatedBefore ?? null],
    );
    return rows.map(toRecord);
  }

  /**
   * One page of the open operations in `status` last touched before `updatedBefore`, oldest first, after `after`:
   * for walking a backlog of any size. The cursor keeps `created_at` as PostgreSQL wrote it (to the microsecond), so
   * the writes of one group commit, which share it, are neither skipped nor read twice.
   */
  async pageOpenByStatus(status: OperationStatus, limit: number, updatedBefore: Date, after: LedgerPageCursor | null): Promise<LedgerPage> {
    if (!OPEN_STATUSES.includes(status)) throw new Error(`pageOpenByStatus pages open operations; ${status} is not one`);
    // The output names differ from the columns': ORDER BY would otherwise sort by the text, past the index.
    const { rows } = await this.pool.query<{ id: string; secondary_store: string | null; created_at_text: string }>(
      `select op_id::text as id, secondary_store, created_at::text as created_at_text from dual_write_ops
        where open and status = $1 and updated_at < $3
          and ($4::timestamptz is null or (created_at, op_id) > ($4::timestamptz, $5::uuid))
        order by created_at, op_id limit $2`,
      [status, limit, updatedBefore, after?.createdAt ?? null, after?.opId ?? null],
    );
    const last = rows[rows.length - 1];
    return {
      operations: rows.map((row) => ({ opId: row.id, secondaryStore: row.secondary_store })),
      next: rows.length === limit && last ? { createdAt: last.created_at_text, opId: last.id } : null,
    };
  }

  /**
   * How many operations are in each open status (OPEN_STATUSES; settled ones are not counted), read through the
   * indexes on `open`: what a flip's gates ask, at a cost that does not grow with the ledger, which only grows.
   */
  async countOpen(): Promise<ReadonlyMap<OperationStatus, number>> {
    const { rows } = await this.pool.query<{ status: string; n: string }>(OPEN_COUNTS_SQL);
    return new Map(rows.filter((row) => isOperationStatus(row.status)).map((row) => [row.status as OperationStatus, Number(row.n)]));
  }

  /** Every status counted: a read of the whole ledger (an operator's view; a flip uses countOpen). */
  async countByStatus(): Promise<Record<OperationStatus, number>> {
    const counts = Object.fromEntries(OPERATION_STATUSES.map((status) => [status, 0])) as Record<OperationStatus, number>;
    const { rows } = await this.pool.query<{ status: string; n: string }>('select status, count(*) as n from dual_write_ops group by status');
    for (const row of rows) if (isOperationStatus(row.status)) counts[row.status] = Number(row.n);
    return counts;
  }

  /** When the oldest operation the secondary still owes was written (the replay lag); null when none is owed. */
  async oldestOwedAt(): Promise<Date | null> {
    const { rows } = await this.pool.query<{ oldest: Date | null }>(
      `select min(created_at) as oldest from dual_write_ops where open and status = 'secondary_pending'`,
    );
    return rows[0]?.oldest ?? null;
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
