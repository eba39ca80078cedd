import type { DiffSeverity } from '../compare/diff-severity';
import type { StoreOutcomeStatus, StoreRole } from '../engine/dual-write-result';

/** One call the engine made to one store. */
export interface StoreCallObservation {
  kind: 'write' | 'read';
  store: string;
  role: StoreRole;
  /** create, update, upsert, delete, batch; find, findMany, page for reads. */
  operation: string;
  status: StoreOutcomeStatus;
  /** Null when the store was not called (breaker open). */
  latencyMs: number | null;
}

/**
 * What the engine reports as it works. Optional in the engine's options: without one, nothing is measured.
 * Implementations must be cheap and must not throw (the engine drops what they throw anyway).
 */
export interface DualWriteMetrics {
  storeCall(call: StoreCallObservation): void;
  /** A difference was queued on dw-diffs. */
  diffQueued(severity: DiffSeverity): void;
}
