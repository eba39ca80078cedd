import { prepareControlDatabase } from '@dualwrite/testing';
import Redis from 'ioredis';
import { removeTestQueues, testQueueNames } from './testing/worker-test-app';
import { startWorkerProcess } from './testing/worker-process';
import { platformRedisKeys } from '@dualwrite/dual-write';

async function waitFor<T>(read: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('worker process', () => {
  it('stops at start with one line naming a malformed variable', async () => {
    const result = await startWorkerProcess({ PRIMARY_DATABASE_URL: 'not-a-url' }).finished;

    expect(result.code).toBe(78);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: PRIMARY_DATABASE_URL must be a postgresql:// connection string',
    );
  });

  it('stops at start with one line naming a malformed worker setting', async () => {
    const result = await startWorkerProcess({ DIFF_RETENTION_DAYS: 'a month' }).finished;

    expect(result.code).toBe(78);
    expect(result.stderr.trim()).toBe('Invalid configuration: DIFF_RETENTION_DAYS must be a whole number of at least 1');
  });

  it('keeps a heartbeat in Redis while it runs and removes it when stopped with SIGTERM', async () => {
    const redis = new Redis(process.env.REDIS_URL as string);
    const queues = testQueueNames('main');
    try {
      await redis.del(platformRedisKeys().workerHeartbeat);
      const worker = startWorkerProcess({
        CONTROL_DATABASE_URL: await prepareControlDatabase('dw_control_worker_main'),
        DW_REPLAY_QUEUE: queues.replayQueue,
        DW_DIFFS_QUEUE: queues.diffsQueue,
      });
      const heartbeat = await waitFor(() => redis.get(platformRedisKeys().workerHeartbeat), 30_000);
      // Shutdown hooks are on once the ready line is out; a SIGTERM before that just ends the process.
      await waitFor(async () => (worker.stdout().includes('worker ready') ? true : null), 30_000);
      worker.kill('SIGTERM');
      const result = await worker.finished;

      expect(result.stdout).toContain('worker ready');
      expect(JSON.parse(heartbeat ?? '{}').pid).toEqual(expect.any(Number));
      expect(await redis.exists(platformRedisKeys().workerHeartbeat)).toBe(0);
    } finally {
      await redis.quit();
      await removeTestQueues(queues);
    }
  }, 90_000);
});
