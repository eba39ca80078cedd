import { Queue } from 'bullmq';
import { REPLAY_QUEUE, bullConnection } from '../queues/redis-connection';
import { withDeadline } from '../queues/with-deadline';

export interface ReplayJobData {
  opId: string;
}

export interface ReplayQueueOptions {
  redisUrl: string;
  /** Attempts before an operation is dead-lettered. Default 8. */
  attempts?: number;
  /** First back-off delay; doubles per attempt. Default 1000 ms. */
  backoffMs?: number;
  /** Default `dw-replay`; tests use their own. */
  queueName?: string;
  /** Longest an enqueue waits for Redis before the caller falls back to the ledger. Default 1000 ms. */
  enqueueTimeoutMs?: number;
}

/**
 * Producer side of `dw-replay`: one job per operation the secondary still owes, with the opId as job id so the
 * same operation is never queued twice. The ledger, not the queue, is the record: jobs are removed when done.
 */
export class ReplayQueue {
  readonly attempts: number;
  private readonly queue: Queue<ReplayJobData>;
  private readonly backoffMs: number;
  private readonly enqueueTimeoutMs: number;

  constructor(options: ReplayQueueOptions) {
    this.attempts = options.attempts ?? 8;
    this.backoffMs = options.backoffMs ?? 1_000;
    this.enqueueTimeoutMs = options.enqueueTimeoutMs ?? 1_000;
    this.queue = new Queue<ReplayJobData>(options.queueName ?? REPLAY_QUEUE, { connection: bullConnection(options.redisUrl, { failFast: true }) });
    // Redis away: add() rejects and the caller leaves the operation to the ledger sweep; no crash here.
    this.queue.on('error', () => undefined);
  }

  async enqueue(opId: string): Promise<void> {
    const adding = this.queue.add(
      'replay',
      { opId },
      {
        jobId: opId,
        attempts: this.attempts,
        backoff: { type: 'exponential', delay: this.backoffMs },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
    await withDeadline(adding, this.enqueueTimeoutMs, `queueing replay of ${opId}`);
  }

  /** Jobs waiting, delayed (backing off) or running. */
  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    await withDeadline(this.queue.close(), 2_000, 'closing the replay queue').catch(() => this.queue.disconnect());
  }

  /** For tests and operators: drops every job (the ledger still holds the operations). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }
}
