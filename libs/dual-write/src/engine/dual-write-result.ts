import type { DualWriteModeName } from '../flags/dual-write-mode';

export type StoreRole = 'primary' | 'secondary';

/**
 * ok: the store answered · failed: it answered with an error or was unreachable · pending: the secondary was
 * still being synced when the secondary timeout ended the caller's wait (its write goes on; the ledger records how
 * it ends and a failure is queued for replay) · skipped: not called (breaker open).
 */
export type StoreOutcomeStatus = 'ok' | 'failed' | 'pending' | 'skipped';

export interface StoreOutcome {
  store: string;
  role: StoreRole;
  status: StoreOutcomeStatus;
  latencyMs: number | null;
  error?: string;
}

/** What every DualWriteService call returns. */
export interface DualWriteResult<T> {
  data: T;
  mode: DualWriteModeName;
  /** The operation's idempotency key (writes only). */
  opId?: string;
  stores: StoreOutcome[];
  /** The secondary's share of the write waits in the replay queue (or the ledger, when Redis is away). */
  queued: boolean;
  /** The answer came from the secondary because the primary was unavailable (reads only). */
  degraded: boolean;
  warnings: string[];
}
