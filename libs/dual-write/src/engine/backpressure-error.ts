import { StoreUnavailableError } from '@dualwrite/stores';

/**
 * A create refused at once because too many creates are already waiting for a store (the group-commit queue
 * is full). Nothing reached any store. It is an `unavailable` store error, so callers treat it as a write to
 * retry (503 + Retry-After); it never counts towards the store's breaker, the store did not fail.
 */
export class BackpressureError extends StoreUnavailableError {
  constructor(
    store: string,
    /** Rows waiting for the store when the create was refused. */
    readonly pending: number,
    readonly maxPending: number,
    /** How long a caller should wait before trying again. */
    readonly retryAfterMs = 1_000,
  ) {
    super(
      store,
      `${pending} creates already waiting for this store (at most ${maxPending}); refused before reaching any store, retry in ${Math.ceil(retryAfterMs / 1000)} s`,
      'BACKPRESSURE',
    );
  }
}

export function isBackpressureError(error: unknown): error is BackpressureError {
  return error instanceof BackpressureError;
}
