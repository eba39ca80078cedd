import { createServer } from 'node:net';
import { startEntryProcess } from '@dualwrite/testing';

const startApi = (env: NodeJS.ProcessEnv) => startEntryProcess('apps/api/src/main.ts', env);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('api process', () => {
  it('stops at start with exit code 78 and one line naming a malformed variable', async () => {
    const result = await startApi({ ADMIN_TOKENS: 'root:short' }).finished;

    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid configuration: ADMIN_TOKENS /)]);
  });

  it('listens on API_PORT, logs one start line, and shuts down on SIGTERM', async () => {
    const port = await freePort();
    const api = startApi({ API_PORT: String(port) });

    const answered = await waitUntil(
      () => fetch(`http://127.0.0.1:${port}/health/live`).then((response) => response.ok, () => false),
      20_000,
    );
    api.kill('SIGTERM');
    const result = await api.finished;

    expect(answered).toBe(true);
    expect(result.stdout.split('\n').filter((line) => line.includes('api listening on port'))).toHaveLength(1);
    // Nest's shutdown hooks close the app, then re-raise the signal: the process ends by SIGTERM, not by a crash.
    expect(result).toMatchObject({ code: null, signal: 'SIGTERM', stderr: '' });
  }, 40_000);
});
