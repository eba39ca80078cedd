import type { PlannedKeyAction } from './repair.types';

/** A ledger operation on the key after the reconcile run finished, or one still unsettled. */
export interface WriteSinceReport {
  opId: string;
  operation: string;
  status: string;
  at: string;
}

/** Everything the decision for one key rests on, gathered before anything is written. */
export interface KeyState {
  entity: string;
  key: string;
  /** The current roles (per the flags), not necessarily the run's. */
  primaryStore: string;
  secondaryStore: string;
  /** Fields (or "row") that differ now between the current primary and secondary; empty when equal. */
  differingNow: string[];
  primaryHasRow: boolean;
  secondaryHasRow: boolean;
  /** Null when the rows still differ exactly as the report recorded; else what changed. */
  changedSinceReport: string | null;
  writtenSinceReport: WriteSinceReport | null;
  /** Asked only when the primary lacks the row and the secondary holds it (KeySync asks the same under its lock). */
  deleteProof: { proven: boolean; latest: { opId: string; operation: string } | null } | null;
}

/**
 * What a repair does with one key. Equal now → nothing. Otherwise any sign the key moved since the report (a
 * ledger write after the run, or one still unsettled; rows no longer as recorded) → skipped, never overwritten.
 * Otherwise the primary decides: its row is copied; when it has none, the secondary's row is deleted only with the
 * ledger's proof of a delete (PROTOCOL.md, mechanism 2), else both are left and reported.
 */
export function decideRepair(state: KeyState): PlannedKeyAction {
  const { entity, key, primaryStore: primary, secondaryStore: secondary } = state;
  const base = { entity, key };
  if (state.differingNow.length === 0) {
    return { ...base, action: 'nothing', detail: `equal on ${primary} and ${secondary} now: nothing to do` };
  }
  if (state.writtenSinceReport) {
    const op = state.writtenSinceReport;
    return {
      ...base,
      action: 'skip_written',
      detail: 'skipped: written since the report',
      reason: `the ledger shows ${op.operation} op ${op.opId} (${op.status}, ${op.at}) on it after the report's run finished or still unsettled: reconcile again once it settles`,
    };
  }
  if (state.changedSinceReport !== null) {
    return { ...base, action: 'skip_changed', detail: 'skipped: changed since the report', reason: state.changedSinceReport };
  }
  if (state.primaryHasRow) {
    const detail = state.secondaryHasRow
      ? `update on ${secondary} from ${primary}: ${state.differingNow.join(', ')}`
      : `insert on ${secondary} the row ${primary} holds`;
    return { ...base, action: 'copy', detail };
  }
  const proof = state.deleteProof;
  if (proof?.proven) {
    const op = proof.latest ? ` (op ${proof.latest.opId})` : ' (a delete still unsettled)';
    return { ...base, action: 'delete', detail: `delete on ${secondary}: ${primary} has no row and the ledger proves a delete${op}` };
  }
  const latest = proof?.latest ? `its latest write there (${proof.latest.operation}, op ${proof.latest.opId}) is no delete` : 'the ledger records no delete of it';
  return {
    ...base,
    action: 'leave',
    detail: `leave on ${secondary}: ${primary} has no row`,
    reason: `${primary} has no ${entity} ${key} and ${latest}: a missing row is not a deletion, both rows left for an operator`,
  };
}
