/** One write the chaos run sent, with the last answer it got (null: none, the api was gone). */
export interface SentWrite {
  kind: 'create' | 'update' | 'delete';
  /** The budget's id (creates send their own). */
  id: string;
  status: number | null;
}

export interface ChaosObservation {
  writes: SentWrite[];
  /** Of the ids the writes name, those each store holds once the run settled. */
  onA: ReadonlySet<string>;
  onB: ReadonlySet<string>;
  /** Both stores hold the same rows (count and checksum) for those ids. */
  storesEqual: boolean;
  /** The run's operations the ledger still has open (not applied, rejected or abandoned). */
  openOperations: number;
}

export interface ChaosVerdict {
  acknowledgedCreates: number;
  /** I1: an acknowledged create no delete was sent for, missing on a store (either may end as the sole store). */
  missingOnA: string[];
  missingOnB: string[];
  /** An acknowledged delete whose row is on a store again. */
  deletedButPresent: string[];
  /** I4: a create answered with a 4xx (nothing written) whose row is on a store. */
  refusedButPresent: string[];
  /** Writes still without a final answer (none, 409 in progress, 503/504 unavailable) after the retries. */
  unanswered: number;
  /** I5: the stores agree row for row and the ledger has nothing open. */
  converged: boolean;
  holds: boolean;
}

/** A status a retry may still change: no answer, in progress, or a store or the api unavailable. */
export function isRetryable(status: number | null): boolean {
  return status === null || status === 409 || status === 503 || status === 504;
}

/** What the invariants say about a chaos run's writes and the stores it left. */
export function chaosVerdict(observation: ChaosObservation): ChaosVerdict {
  const { writes, onA, onB } = observation;
  const deleteSent = new Set(writes.filter((write) => write.kind === 'delete').map((write) => write.id));
  const acknowledged = writes.filter((write) => write.kind === 'create' && write.status === 201).map((write) => write.id);
  const mustExist = acknowledged.filter((id) => !deleteSent.has(id));
  const deleted = writes.filter((write) => write.kind === 'delete' && write.status !== null && write.status >= 200 && write.status < 300).map((write) => write.id);
  const refused = writes.filter((write) => write.kind === 'create' && write.status !== null && write.status >= 400 && write.status < 500 && !isRetryable(write.status));
  const onEither = (id: string) => onA.has(id) || onB.has(id);
  const verdict = {
    acknowledgedCreates: acknowledged.length,
    missingOnA: mustExist.filter((id) => !onA.has(id)),
    missingOnB: mustExist.filter((id) => !onB.has(id)),
    deletedButPresent: deleted.filter(onEither),
    refusedButPresent: refused.map((write) => write.id).filter(onEither),
    unanswered: writes.filter((write) => isRetryable(write.status)).length,
    converged: observation.storesEqual && observation.openOperations === 0,
  };
  const broken = verdict.missingOnA.length + verdict.missingOnB.length + verdict.deletedButPresent.length + verdict.refusedButPresent.length;
  return { ...verdict, holds: broken === 0 && verdict.unanswered === 0 && verdict.converged };
}
