import DataLoader from 'dataloader';

/**
 * Lets at most `limit` batches be on their way; a batch created meanwhile waits (and keeps gathering rows)
 * until one is back. DataLoader adds the first row to a batch right after scheduling it, so dispatch is deferred.
 */
export class DispatchGate {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  /** `gatherMs`: how long a batch that could go at once still gathers first (0: it goes on the next tick). */
  constructor(
    private readonly limit: number,
    private readonly gatherMs = 0,
  ) {}

  schedule(dispatch: () => void): void {
    if (this.inFlight < this.limit) {
      this.inFlight += 1;
      if (this.gatherMs > 0) setTimeout(dispatch, this.gatherMs);
      else process.nextTick(dispatch);
    } else {
      this.waiting.push(dispatch);
    }
  }

  async release<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } finally {
      const next = this.waiting.shift();
      if (next) process.nextTick(next);
      else this.inFlight -= 1;
    }
  }
}

/**
 * A DataLoader for group commit: no cache, at most `maxBatchSize` keys a batch, and at most `batchesInFlight`
 * batches on their way (DispatchGate): one that finds nothing on its way goes out at once, the next gather.
 */
export function gatedLoader<K, V>(
  load: (keys: readonly K[]) => Promise<(V | Error)[]>,
  options: { maxBatchSize: number; batchesInFlight: number; gatherMs?: number },
): DataLoader<K, V> {
  const gate = new DispatchGate(options.batchesInFlight, options.gatherMs);
  return new DataLoader<K, V>((keys) => gate.release(load(keys)), {
    cache: false,
    maxBatchSize: options.maxBatchSize,
    batchScheduleFn: (dispatch) => gate.schedule(dispatch),
  });
}
