import { describeError } from './timed';

export interface BackgroundWorkOptions {
  onWarning?: (message: string) => void;
}

/** Work that runs after the caller was answered: secondary writes settling, comparisons, shadow reads. */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: BackgroundWorkOptions) {}

  /** Keeps `work` until it ends; a failure becomes a warning, never an unhandled rejection. */
  track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.options.onWarning?.(`background work failed: ${describeError(error)}`)).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /**
   * Waits (at most `timeoutMs`) for the tracked work, including work tracked while waiting. Returns how many
   * were still running when the wait ended.
   */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      while (this.running.size > 0) {
        const settled = await Promise.race([Promise.allSettled([...this.running]).then(() => true), deadline.then(() => false)]);
        if (!settled) break;
      }
      return this.running.size;
    } finally {
      clearTimeout(timer);
    }
  }
}
