// The shapes of the operation ledger's rows: what a claim writes, what a read returns, and how a row maps.
import type { OperationStatus } from './operation-transitions';

export type WriteOperation = 'create' | 'update' | 'upsert' | 'delete' | 'batch';

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
  /** The flag version the write was planned under; the claim succeeds only while it is current and not fenced. */
  flagVersion: number;
  /**
   * The process that claimed it (its id in dual_write_processes); once that process stops reporting, the sweep takes
   * over what it left open. Absent: a host without a process registry (the 10-minute rule applies).
   */
  claimedBy?: string | null;
}

/** ok · failed · skipped (breaker open) · timeout and compensated (rows written before the protocol change only). */
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

/** Where a page of `pageOpenByStatus` ended: the last operation's `created_at` (PostgreSQL's text) and id. */
export interface LedgerPageCursor {
  createdAt: string;
  opId: string;
}

export interface LedgerPage {
  operations: { opId: string; secondaryStore: string | null }[];
  /** Where the next page starts; null when this one was the last. */
  next: LedgerPageCursor | null;
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

export interface OperationRow {
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
  flag_version: number | null;
  mode: string | null;
  claimed_by: string | null;
}

/** The longest error text the ledger keeps (`last_error`). */
export const MAX_ERROR_LENGTH = 2_000;

/** The primary never answered the operation: no result (SQL null, or a JSON null written for none). */
export const UNANSWERED_SQL = `(result is null or result = 'null'::jsonb)`;

export const OPERATION_COLUMNS =
  'op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, result, attempts, last_error, created_at, updated_at, flag_version, mode, claimed_by';

export function toRecord(row: OperationRow): OperationRecord {
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
    flagVersion: row.flag_version ?? 0,
    mode: row.mode ?? undefined,
    claimedBy: row.claimed_by,
  };
}
