import { Queue } from 'bullmq';
import { DIFFS_QUEUE, bullConnection } from '../queues/redis-connection';
import { withDeadline } from '../queues/with-deadline';
import type { DiffRecord, DiffSink } from './diff-record';

/** Producer side of `dw-diffs`: the worker stores the differences in batches. */
export class DiffQueue implements DiffSink {
  private readonly queue: Queue<DiffRecord>;

  constructor(options: { redisUrl: string; queueName?: string }) {
    this.queue = new Queue<DiffRecord>(options.queueName ?? DIFFS_QUEUE, {
      connection: bullConnection(options.redisUrl, { failFast: true }),
    });
    this.queue.on('error', () => undefined);
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

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    await withDeadline(this.queue.close(), 2_000, 'closing the diff queue').catch(() => this.queue.disconnect());
  }

  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }
}
