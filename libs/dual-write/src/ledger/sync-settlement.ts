import { keysOverlapSql } from './key-overlap';
import type { ObservedStoreOutcome, OperationObservation } from './operation-ledger';
import { nextStatus, statusesAccepting, type OperationEvent } from './operation-transitions';

/**
 * The ledger statements a sync runs inside its own transaction (KeySync). They are sent as text in one round trip
 * with the statements around them (`begin; lock; …` and `…; commit`), so values are inlined as literals quoted by
 * the driver's `escapeLiteral`, never as raw text.
 */
export type EscapeLiteral = (value: string) => string;

/** An operation whose sync is committing: it becomes `applied` (or `abandoned`) in the sync's own transaction. */
export interface SyncSettlement {
  opId: string;
  observation: OperationObservation;
}

/** `case status when … then … end` for an event: the new status of every status the event is allowed in. */
export function statusCaseSql(event: OperationEvent, column = 'status'): string {
  const cases = statusesAccepting(event).map((status) => `when '${status}' then '${nextStatus(status, event)}'`);
  return `case ${column} ${cases.join(' ')} end`;
}

/**
 * `secondary_synced` for many operations in one statement (group commit). Each operation keeps the event's rule:
 * only a status that accepts the event moves. Returns (`op_id`, `status`) of every operation it moved; one missing
 * there was in a status that does not accept the event and is left as it was.
 */
export function settleSyncedSql(escape: EscapeLiteral, settlements: SyncSettlement[]): string {
  const text = (value: string | null) => (value === null ? 'null' : escape(value));
  const integer = (value: number | null) => (value !== null && Number.isSafeInteger(value) ? String(value) : 'null');
  const outcome = (value: ObservedStoreOutcome | null) => text(value);
  const rows = settlements.map(({ opId, observation: o }) =>
    [`${escape(opId)}::uuid`, outcome(o.primaryOutcome), outcome(o.secondaryOutcome), integer(o.primaryLatencyMs), integer(o.secondaryLatencyMs), integer(o.pathLatencyMs)].join(', '),
  );
  return `update dual_write_ops as op
     set status = ${statusCaseSql('secondary_synced', 'op.status')}, last_error = null,
         primary_outcome = s.primary_outcome, secondary_outcome = s.secondary_outcome,
         primary_latency_ms = s.primary_latency_ms::integer, secondary_latency_ms = s.secondary_latency_ms::integer,
         path_latency_ms = s.path_latency_ms::integer, updated_at = now()
    from (values (${rows.join('), (')}))
         as s(op_id, primary_outcome, secondary_outcome, primary_latency_ms, secondary_latency_ms, path_latency_ms)
   where op.op_id = s.op_id and op.status in (${statusesAccepting('secondary_synced').map(escape).join(', ')})
   returning op.op_id::text as op_id, op.status`;
}

/**
 * Of `keys`, those the ledger shows an operation on other than `opIds`, in any status (column `key`). A key with
 * none was written by those operations alone (PROTOCOL.md: a create's own answer is then the primary's current row).
 */
export function keysWrittenByOthersSql(escape: EscapeLiteral, entity: string, keys: string[], opIds: string[]): string {
  const keyArray = `array[${keys.map(escape).join(', ')}]::text[]`;
  const opIdArray = `array[${opIds.map(escape).join(', ')}]::uuid[]`;
  return `select distinct key from dual_write_ops, unnest(entity_ids) as key
   where entity = ${escape(entity)} and ${keysOverlapSql(keyArray)} and op_id <> all(${opIdArray}) and key = any(${keyArray})`;
}

/** The keys' transaction-scoped locks in one statement, in a fixed order so syncs of overlapping keys cannot deadlock. */
export function lockKeysSql(escape: EscapeLiteral, entity: string, keys: string[]): string {
  return `select pg_advisory_xact_lock(lock_id)
    from (select distinct hashtextextended(${escape(entity)} || ':' || key, 0) as lock_id
            from unnest(array[${keys.map(escape).join(', ')}]::text[]) as key) locks
   order by lock_id`;
}
