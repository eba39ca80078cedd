import { QueueProducer } from '../queues/queue-producer';
import { REPLAY_QUEUE } from '../queues/redis-connection';
import { withDeadline } from '../queues/with-deadline';

/** Failed replays before an operation is dead, unless DW_REPLAY_ATTEMPTS says otherwise. */
export const DEFAULT_REPLAY_ATTEMPTS = 8;

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
export class ReplayQueue extends QueueProducer<ReplayJobData> {
  readonly attempts: number;
  private readonly backoffMs: number;
  private readonly enqueueTimeoutMs: number;

  constructor(options: ReplayQueueOptions) {
    super(options.queueName ?? REPLAY_QUEUE, options.redisUrl);
    this.attempts = options.attempts ?? DEFAULT_REPLAY_ATTEMPTS;
    this.backoffMs = options.backoffMs ?? 1_000;
    this.enqueueTimeoutMs = options.enqueueTimeoutMs ?? 1_000;
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
}
