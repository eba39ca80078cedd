import { Queue } from 'bullmq';
import { REPLAY_QUEUE, bullConnection } from '../queues/redis-connection';

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
}

/**
 * Producer side of `dw-replay`: one job per operation the secondary still owes, with the opId as job id so the
 * same operation is never queued twice. The ledger, not the queue, is the record: jobs are removed when done.
 */
export class ReplayQueue {
  readonly attempts: number;
  private readonly queue: Queue<ReplayJobData>;
  private readonly backoffMs: number;

  constructor(options: ReplayQueueOptions) {
    this.attempts = options.attempts ?? 8;
    this.backoffMs = options.backoffMs ?? 1_000;
    this.queue = new Queue<ReplayJobData>(options.queueName ?? REPLAY_QUEUE, { connection: bullConnection(options.redisUrl, { failFast: true }) });
    // Redis away: add() rejects and the caller leaves the operation to the ledger sweep; no crash here.
    this.queue.on('error', () => undefined);
  }

  async enqueue(opId: string): Promise<void> {
    await this.queue.add(
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
  }

  /** Jobs waiting, delayed (backing off) or running. */
  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  /** For tests and operators: drops every job (the ledger still holds the operations). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }
}
