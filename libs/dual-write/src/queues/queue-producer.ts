import { Queue } from 'bullmq';
import { bullConnection } from './redis-connection';
import { withDeadline } from './with-deadline';

/**
 * What the engine's queues share: a BullMQ queue that fails fast while Redis is away, its depth, a close
 * that never hangs, and obliterate for tests and operators.
 */
export abstract class QueueProducer<T> {
  protected readonly queue: Queue<T>;

  constructor(
    readonly queueName: string,
    redisUrl: string,
  ) {
    this.queue = new Queue<T>(queueName, { connection: bullConnection(redisUrl, { failFast: true }) });
    // Redis away: add() rejects (or times out) and the caller falls back; no crash here.
    this.queue.on('error', () => undefined);
  }

  /** Jobs waiting, delayed (backing off) or running. */
  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    await withDeadline(this.queue.close(), 2_000, `closing ${this.queueName}`).catch(() => this.queue.disconnect());
  }

  /** Drops every job (the ledger still holds the operations; diffs not yet stored are lost). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }
}
