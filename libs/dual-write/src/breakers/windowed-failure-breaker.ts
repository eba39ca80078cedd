import { CircuitState, type IBreaker } from 'cockatiel';

/**
 * Opens after `threshold` failures within the last `windowMs`, however many calls succeeded in
 * between: "3 failures within 300 s". cockatiel 3.2's own breakers do not say that — ConsecutiveBreaker
 * forgets failures on any success and has no window; SamplingBreaker and CountBreaker open on a failure
 * *ratio* — so this is a small IBreaker plugged into cockatiel's CircuitBreakerPolicy, which keeps the
 * state machine (open, half-open probe, isolate).
 */
export class WindowedFailureBreaker implements IBreaker {
  private failureTimes: number[] = [];

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new RangeError(`Breaker failure threshold must be an integer of at least 1, got ${threshold}.`);
    }
    if (!(windowMs > 0)) throw new RangeError(`Breaker window must be a positive number of milliseconds, got ${windowMs}.`);
  }

  /** Serialisable state, for CircuitBreakerPolicy.toJSON / initialState. */
  get state(): unknown {
    return { failureTimes: this.failureTimes };
  }

  set state(value: unknown) {
    const failureTimes = (value as { failureTimes?: unknown } | undefined)?.failureTimes;
    this.failureTimes = Array.isArray(failureTimes) ? failureTimes.filter((time): time is number => typeof time === 'number') : [];
  }

  /** Failures still inside the rolling window. */
  failuresInWindow(now = Date.now()): number {
    this.forgetOlderThanWindow(now);
    return this.failureTimes.length;
  }

  /** Forgets every failure (the breaker closed). */
  clear(): void {
    this.failureTimes = [];
  }

  success(state: CircuitState): void {
    // A successful probe closes the breaker with a clean slate.
    if (state === CircuitState.HalfOpen) this.clear();
  }

  failure(state: CircuitState): boolean {
    const now = Date.now();
    this.failureTimes.push(now);
    // A failed probe opens the breaker again at once.
    if (state !== CircuitState.Closed) return true;
    return this.failuresInWindow(now) >= this.threshold;
  }

  private forgetOlderThanWindow(now: number): void {
    const oldestKept = now - this.windowMs;
    const firstKept = this.failureTimes.findIndex((time) => time > oldestKept);
    this.failureTimes = firstKept === -1 ? [] : this.failureTimes.slice(firstKept);
  }
}
