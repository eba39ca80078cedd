import { QueueProducer } from '../queues/queue-producer';
import { DIFFS_QUEUE } from '../queues/redis-connection';
import { withDeadline } from '../queues/with-deadline';
import type { DiffRecord, DiffSink } from './diff-record';

/** Producer side of `dw-diffs`: the worker stores the differences in batches. */
export class DiffQueue extends QueueProducer<DiffRecord> implements DiffSink {
  constructor(options: { redisUrl: string; queueName?: string }) {
    super(options.queueName ?? DIFFS_QUEUE, options.redisUrl);
  }

  async record(diff: DiffRecord): Promise<void> {
    const adding = this.queue.add('diff', diff, {
      jobId: diff.diffId,
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
    });
    await withDeadline(adding, 1_000, `queueing diff ${diff.diffId}`);
  }
}
