import type { DiffRecord } from '@dualwrite/dual-write';

export interface DiffBatcherOptions {
  /** A batch is stored as soon as it holds this many diffs. */
  maxBatch: number;
  /** ...or this long after its first diff arrived, whichever comes first. */
  maxWaitMs: number;
}

interface WaitingDiff {
  diff: DiffRecord;
  stored: () => void;
  failed: (error: unknown) => void;
}

/**
 * Gathers diffs into batches stored with one statement each. `add` settles only once its batch is stored,
 * so the queue job carrying a diff completes only after its row exists; a crash before that leaves the job
 * to BullMQ's stalled-job recovery, and storing it again is harmless (the store skips known diffIds).
 */
export class DiffBatcher {
  private waiting: WaitingDiff[] = [];
  private timer: NodeJS.Timeout | undefined;
  private statements = 0;

  constructor(
    private readonly store: (diffs: DiffRecord[]) => Promise<unknown>,
    private readonly options: DiffBatcherOptions,
  ) {}

  /** Insert statements issued so far. */
  get batchesStored(): number {
    return this.statements;
  }

  add(diff: DiffRecord): Promise<void> {
    return new Promise<void>((stored, failed) => {
      this.waiting.push({ diff, stored, failed });
      if (this.waiting.length >= this.options.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.maxWaitMs);
    });
  }

  /** Stores what is waiting now. A failed insert fails every diff of the batch (their jobs are retried). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    try {
      this.statements += 1;
      await this.store(batch.map((waiting) => waiting.diff));
      for (const waiting of batch) waiting.stored();
    } catch (error) {
      for (const waiting of batch) waiting.failed(error);
    }
  }
}
