import { Queue } from 'bullmq';
import { bullConnection } from '@dualwrite/dual-write';

/** Removes the spec's run queues from Redis (every key under `prefix`), so nothing outlives the suite. */
export async function removeRunQueues(redisUrl: string, prefix: string, names: string[]): Promise<void> {
  for (const name of names) {
    const queue = new Queue(name, { connection: bullConnection(redisUrl), prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
