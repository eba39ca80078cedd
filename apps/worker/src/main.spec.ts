import { spawn } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { WORKER_HEARTBEAT_KEY } from './worker-heartbeat.service';

const root = path.resolve(__dirname, '..', '..', '..');

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startWorker(env: NodeJS.ProcessEnv = {}): { stop(): void; finished: Promise<Finished> } {
  const child = spawn(process.execPath, [path.join(root, 'tools', 'run.js'), path.join(__dirname, 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<Finished>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { stop: () => child.kill('SIGTERM'), finished };
}

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
    const result = await startWorker({ PRIMARY_DATABASE_URL: 'not-a-url' }).finished;

    expect(result.code).toBe(78);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: PRIMARY_DATABASE_URL must be a postgresql:// connection string',
    );
  });

  it('keeps a heartbeat in Redis while it runs and removes it when stopped with SIGTERM', async () => {
    const redis = new Redis(process.env.REDIS_URL as string);
    try {
      await redis.del(WORKER_HEARTBEAT_KEY);
      const worker = startWorker();
      const heartbeat = await waitFor(() => redis.get(WORKER_HEARTBEAT_KEY), 15_000);
      worker.stop();
      const result = await worker.finished;

      expect(result.stdout).toContain('worker ready');
      expect(JSON.parse(heartbeat ?? '{}').pid).toEqual(expect.any(Number));
      expect(await redis.exists(WORKER_HEARTBEAT_KEY)).toBe(0);
    } finally {
      await redis.quit();
    }
  });
});
