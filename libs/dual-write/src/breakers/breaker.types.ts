export type BreakerStateName = 'closed' | 'open' | 'half_open' | 'isolated';

export interface BreakerSettings {
  /** Failures within `windowMs` that open the breaker. */
  failureThreshold: number;
  /** Rolling window the failures are counted in. */
  windowMs: number;
  /** Time an open breaker waits before letting one probe call through (half-open). */
  halfOpenAfterMs: number;
  /**
   * Longest one call may hold its caller. A call still running then is given up (it fails as unavailable,
   * counted as a failure) while the driver's own bound ends the work on the store's side.
   */
  callTimeoutMs: number;
}

/** Issue defaults: 3 failures within 300 s open the breaker; a probe goes through 60 s later; calls end after 10 s. */
export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  failureThreshold: 3,
  windowMs: 300_000,
  halfOpenAfterMs: 60_000,
  callTimeoutMs: 10_000,
};

/** One store's breaker as the admin API and the metrics see it (JSON-serialisable). */
export interface StoreBreakerState {
  store: string;
  state: BreakerStateName;
  /** When the breaker entered its current state (or was created). */
  since: Date;
  /** Counted failures within the rolling window. */
  failures: number;
  /** While open: when the next call is let through as a probe. */
  halfOpenAt?: Date;
  settings: BreakerSettings;
}

export interface BreakerStateChange {
  store: string;
  from: BreakerStateName;
  to: BreakerStateName;
  at: Date;
}
