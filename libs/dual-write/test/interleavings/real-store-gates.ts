import { StoreUnavailableError, type StorePlugin } from '@dualwrite/stores';

type GatedMethod = 'insert' | 'update' | 'upsert' | 'delete' | 'get' | 'findManyByIds';

export interface HeldStore {
  /** The store with its first `method` call held back. */
  store: StorePlugin;
  /** Resolves once the held call has arrived (its caller waits for it). */
  arrived: Promise<void>;
  /** Lets the held call reach the real store. */
  release(): void;
  /** Resolves once the held call has settled on the real store. */
  landed: Promise<void>;
}

/**
 * A real store whose first `method` call waits until `release()` before it reaches the store (later calls go
 * straight through): a call that is slow on the network, lands late, or lands after a newer one.
 */
export function holdFirst(store: StorePlugin, method: GatedMethod): HeldStore {
  let arrive: () => void = () => undefined;
  let release: () => void = () => undefined;
  let land: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const landed = new Promise<void>((resolve) => (land = resolve));
  let first = true;
  const held = Object.create(store) as StorePlugin;
  const real = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
  (held as unknown as Record<GatedMethod, (...args: unknown[]) => Promise<unknown>>)[method] = async (...args: unknown[]) => {
    if (!first) return real(...args);
    first = false;
    arrive();
    await released;
    try {
      return await real(...args);
    } finally {
      land();
    }
  };
  return { store: held, arrived, release, landed };
}

/** A real store whose `method` calls take effect, then their answer is lost on the way (the caller sees it unavailable). */
export function answerLost(store: StorePlugin, method: GatedMethod): StorePlugin {
  const lossy = Object.create(store) as StorePlugin;
  const real = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
  (lossy as unknown as Record<GatedMethod, (...args: unknown[]) => Promise<unknown>>)[method] = async (...args: unknown[]) => {
    await real(...args);
    throw new StoreUnavailableError(store.name, `${method}: the connection dropped before the answer arrived`, 'ANSWER_LOST');
  };
  return lossy;
}
