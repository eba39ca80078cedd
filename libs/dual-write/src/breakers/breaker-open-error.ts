import { StoreUnavailableError } from '@dualwrite/stores';
import type { BreakerStateName } from './breaker.types';

/**
 * A call refused without reaching the store because its breaker is open or isolated.
 * It is an `unavailable` store error, so callers map it like any outage (replay queue, 503).
 */
export class BreakerOpenError extends StoreUnavailableError {
  constructor(
    store: string,
    readonly breakerState: Extract<BreakerStateName, 'open' | 'isolated'>,
    /** Milliseconds until a probe is let through; absent while isolated (an operator must release it). */
    readonly retryAfterMs?: number,
  ) {
    super(
      store,
      breakerState === 'isolated'
        ? 'Circuit breaker is isolated by an operator; release or reset it to send calls again.'
        : `Circuit breaker is open after repeated failures; the next probe goes through in ${Math.ceil((retryAfterMs ?? 0) / 1000)} s.`,
      'BREAKER_OPEN',
    );
  }
}

export function isBreakerOpenError(error: unknown): error is BreakerOpenError {
  return error instanceof BreakerOpenError;
}
