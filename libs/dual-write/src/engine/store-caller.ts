import type { StorePlugin } from '@dualwrite/stores';
import type { StoreBreakers } from '../breakers/store-breakers';
import { timed, type Timed } from './timed';

/** What one store is asked to do for an operation. */
export type StoreCall<T = unknown> = (store: StorePlugin) => Promise<T>;

export interface StoreCallerOptions {
  breakers: StoreBreakers;
}

/** Calls a store through its circuit breaker. */
export class StoreCaller {
  constructor(private readonly options: StoreCallerOptions) {}

  guarded<T>(store: StorePlugin, call: () => Promise<T>): Promise<T> {
    return this.options.breakers.execute(store.name, () => call());
  }

  /** Through the breaker, measured; never rejects (the outcome says how it ended). */
  call<T>(store: StorePlugin, call: StoreCall<T>): Promise<Timed<T>> {
    return timed(() => this.guarded(store, () => call(store)));
  }

  /**
   * Like `call`, and also says when the store call itself has settled: a call the breaker's timeout gave up
   * on may still land later (or wait in a group commit), and nothing may be concluded from the store before.
   */
  tracked<T>(store: StorePlugin, call: StoreCall<T>): { outcome: Promise<Timed<T>>; settled: Promise<void> } {
    let started: Promise<T> | undefined;
    const outcome = timed(() =>
      this.guarded(store, () => {
        started = call(store);
        return started;
      }),
    );
    const settled = outcome.then(() => started?.then(
      () => undefined,
      () => undefined,
    ));
    return { outcome, settled };
  }
}
