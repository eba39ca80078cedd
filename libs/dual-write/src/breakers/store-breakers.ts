import {
  CircuitBreakerPolicy,
  CircuitState,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  timeout,
  wrap,
  type IDisposable,
  type IPolicy,
} from 'cockatiel';
import { StoreUnavailableError } from '@dualwrite/stores';
import { isStoreUnavailableFailure } from './breaker-failure';
import { BreakerOpenError } from './breaker-open-error';
import {
  DEFAULT_BREAKER_SETTINGS,
  type BreakerSettings,
  type BreakerStateChange,
  type BreakerStateName,
  type StoreBreakerState,
} from './breaker.types';
import { WindowedFailureBreaker } from './windowed-failure-breaker';

export interface StoreBreakersOptions {
  /** Settings for every store; defaults: 3 failures within 300 s, half-open after 60 s, calls end after 10 s. */
  settings?: Partial<BreakerSettings>;
  /** Per-store overrides on top of `settings`. */
  perStore?: Record<string, Partial<BreakerSettings>>;
  /** Stores listed in `snapshot()` before their first call. Others get a breaker on first use. */
  stores?: readonly string[];
  /** Which errors count as failures. Default: the store is unreachable (isStoreUnavailableFailure). */
  countsAsFailure?: (error: unknown) => boolean;
}

export type BreakerStateListener = (change: BreakerStateChange) => void;

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

interface StoreBreaker {
  policy: CircuitBreakerPolicy;
  /** The breaker around the call timeout: what a call runs through. */
  guarded: IPolicy;
  failures: WindowedFailureBreaker;
  settings: BreakerSettings;
  state: BreakerStateName;
  since: Date;
  openedAt?: number;
  /** The operator's hold on the breaker, while isolated by `isolate()`. */
  isolation?: IDisposable;
  subscription: IDisposable;
}

/**
 * One cockatiel circuit breaker per store, around a timeout on every call. Only failures that say the store
 * is unreachable count; a refused call throws BreakerOpenError (an `unavailable` store error).
 *
 * The timeout is aggressive: at `callTimeoutMs` the caller gets a StoreUnavailableError naming the store and
 * the timeout, whatever the call is doing, and the breaker counts it (a hung store opens its breaker). A
 * cooperative timeout would only abort the signal and wait for the call to notice; store plugins take no
 * signal, so a hung call would keep holding its caller. The call itself runs on until the driver's own
 * bound (PostgreSQL statement_timeout, the Supabase request timeout) ends it; its late answer is dropped.
 *
 * cockatiel's half-open: the first call after `halfOpenAfterMs` is the probe; calls arriving while it
 * runs wait for its outcome. A probe that gets a business answer (not_found, conflict, invalid) closes
 * the breaker too: the store answered.
 */
export class StoreBreakers {
  private readonly breakers = new Map<string, StoreBreaker>();
  private readonly listeners = new Set<BreakerStateListener>();
  private readonly countsAsFailure: (error: unknown) => boolean;

  constructor(private readonly options: StoreBreakersOptions = {}) {
    this.countsAsFailure = options.countsAsFailure ?? isStoreUnavailableFailure;
    for (const store of options.stores ?? []) this.breakerFor(store);
  }

  /**
   * Runs `fn` through the store's breaker and call timeout; throws BreakerOpenError without calling it when
   * open or isolated, and StoreUnavailableError when it has not answered within `callTimeoutMs` (its signal
   * is aborted then).
   */
  async execute<T>(store: string, fn: (signal: AbortSignal) => PromiseLike<T> | T): Promise<T> {
    const breaker = this.breakerFor(store);
    let started = false;
    try {
      // A signal of the call's own: cockatiel's default is one shared signal, and the timeout adds a listener to
      // it per running call (Node warns past 10 concurrent calls).
      return await breaker.guarded.execute(({ signal }) => {
        started = true;
        return fn(signal);
      }, new AbortController().signal);
    } catch (error) {
      if (!started && isBrokenCircuitError(error)) throw this.openError(store, breaker);
      if (started && error instanceof TaskCancelledError) {
        throw new StoreUnavailableError(store, `did not answer within ${breaker.settings.callTimeoutMs} ms (call timeout); the call was given up`, 'CALL_TIMEOUT', {
          cause: error,
        });
      }
      throw error;
    }
  }

  state(store: string): StoreBreakerState {
    const breaker = this.breakerFor(store);
    const now = Date.now();
    const state: StoreBreakerState = {
      store,
      state: breaker.state,
      since: new Date(breaker.since),
      failures: breaker.failures.failuresInWindow(now),
      settings: { ...breaker.settings },
    };
    if (breaker.state === 'open' && breaker.openedAt !== undefined) {
      state.halfOpenAt = new Date(breaker.openedAt + breaker.settings.halfOpenAfterMs);
    }
    return state;
  }

  /** Every known store's breaker, in the order the stores were first seen. */
  snapshot(): StoreBreakerState[] {
    return [...this.breakers.keys()].map((store) => this.state(store));
  }

  /** Operator reset: closes the breaker, forgets its failures and drops any isolation. */
  reset(store: string): StoreBreakerState {
    const previous = this.breakers.get(store);
    previous?.subscription.dispose();
    // Replacing the policy is cockatiel's way to a clean slate; the Map keeps the store's place.
    const fresh = this.createBreaker(store);
    this.breakers.set(store, fresh);
    if (previous && previous.state !== 'closed') this.transition(store, fresh, previous.state, 'closed');
    return this.state(store);
  }

  /** Holds the breaker open by hand (an operator taking the store out) until `release()` or `reset()`. */
  isolate(store: string): StoreBreakerState {
    const breaker = this.breakerFor(store);
    breaker.isolation ??= breaker.policy.isolate();
    return this.state(store);
  }

  /** Ends an isolation: the breaker closes. Does nothing when the store is not isolated. */
  release(store: string): StoreBreakerState {
    const breaker = this.breakerFor(store);
    const isolation = breaker.isolation;
    breaker.isolation = undefined;
    isolation?.dispose();
    return this.state(store);
  }

  /** Listens to every store's state changes. Listeners must not throw; what they throw is dropped. */
  onStateChange(listener: BreakerStateListener): IDisposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private breakerFor(store: string): StoreBreaker {
    const existing = this.breakers.get(store);
    if (existing) return existing;
    const created = this.createBreaker(store);
    this.breakers.set(store, created);
    return created;
  }

  private createBreaker(store: string): StoreBreaker {
    const settings = { ...DEFAULT_BREAKER_SETTINGS, ...this.options.settings, ...this.options.perStore?.[store] };
    if (!(settings.halfOpenAfterMs >= 0)) {
      throw new RangeError(`Breaker halfOpenAfterMs for store "${store}" must be at least 0, got ${settings.halfOpenAfterMs}.`);
    }
    if (!(settings.callTimeoutMs > 0 && Number.isFinite(settings.callTimeoutMs))) {
      throw new RangeError(`Breaker callTimeoutMs for store "${store}" must be a positive number of milliseconds, got ${settings.callTimeoutMs}.`);
    }
    const failures = new WindowedFailureBreaker(settings.failureThreshold, settings.windowMs);
    // A timeout always counts, whatever countsAsFailure says: a store that hangs must open its breaker.
    const policy = circuitBreaker(
      handleWhen((error) => error instanceof TaskCancelledError || this.countsAsFailure(error)),
      { halfOpenAfter: settings.halfOpenAfterMs, breaker: failures },
    );
    const breaker: StoreBreaker = {
      policy,
      // Store calls take no abort signal, so none is aborted when a call returns (each abort builds a DOMException).
      guarded: wrap(policy, timeout(settings.callTimeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false })),
      failures,
      settings,
      state: 'closed',
      since: new Date(),
      subscription: { dispose: () => undefined },
    };
    const stateChanges = policy.onStateChange((circuitState) => {
      this.transition(store, breaker, breaker.state, STATE_NAMES[circuitState]);
    });
    // cockatiel starts the probe before it reports HalfOpen; onHalfOpen fires first.
    const halfOpens = policy.onHalfOpen(() => this.transition(store, breaker, breaker.state, 'half_open'));
    breaker.subscription = {
      dispose: () => {
        stateChanges.dispose();
        halfOpens.dispose();
      },
    };
    return breaker;
  }

  private transition(store: string, breaker: StoreBreaker, from: BreakerStateName, to: BreakerStateName): void {
    if (from === to) return;
    const at = new Date();
    breaker.state = to;
    breaker.since = at;
    if (to === 'open') breaker.openedAt = at.getTime();
    if (to === 'closed') {
      // cockatiel closes without telling the breaker when a probe gets a business answer.
      breaker.failures.clear();
      breaker.isolation = undefined;
    }
    for (const listener of this.listeners) {
      try {
        listener({ store, from, to, at });
      } catch {
        // A listener (metrics, logging) must never change the outcome of a store call.
      }
    }
  }

  private openError(store: string, breaker: StoreBreaker): BreakerOpenError {
    if (breaker.state === 'isolated') return new BreakerOpenError(store, 'isolated');
    const halfOpenAt = (breaker.openedAt ?? Date.now()) + breaker.settings.halfOpenAfterMs;
    return new BreakerOpenError(store, 'open', Math.max(0, halfOpenAt - Date.now()));
  }
}
