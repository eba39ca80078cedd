import { connect, type Socket } from 'node:net';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { freePort, prepareControlDatabase, startEntryProcess } from '@dualwrite/testing';
import { PrimaryDatabase } from './testing/primary-database';
import { DEGRADED_ENV } from './testing/test-config';

const startApi = (env: NodeJS.ProcessEnv) => startEntryProcess('apps/api/src/main.ts', env);

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
    // main.ts stops the server, closes the app (Nest's hooks), then exits 0.
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(result.stdout.indexOf('SIGTERM: refusing new requests')).toBeLessThan(result.stdout.indexOf('api stopped'));
  }, 40_000);
});

/** Whether a new TCP connection to the port is refused (nothing listens any more). */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** The HTTP/1.1 responses a raw connection received, in order: status and lower-cased headers. */
function responsesIn(data: string): { status: number; headers: Record<string, string> }[] {
  return data
    .split(/(?=HTTP\/1\.1 \d{3} )/)
    .filter(Boolean)
    .map((response) => {
      const [head = ''] = response.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      return { status: Number(statusLine.split(' ')[1]), headers };
    });
}

describe('api process shutdown', () => {
  const database = new PrimaryDatabase();
  const locker = new Client({ connectionString: process.env['PRIMARY_DATABASE_URL'] });
  const observer = new Client({ connectionString: process.env['PRIMARY_DATABASE_URL'] });
  const ownerId = uuidv7();
  let lockerPid = 0;

  beforeAll(async () => {
    await Promise.all([locker.connect(), observer.connect()]);
    lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0;
    await locker.query('insert into users (id, email, display_name) values ($1, $2, $3)', [ownerId, `${ownerId}@shutdown.test`, 'Shutdown']);
  });

  afterAll(async () => {
    await locker.query('rollback').catch(() => undefined);
    await Promise.all([locker.end(), observer.end()]);
    await database.deleteUsers([ownerId]);
    await database.close();
  });

  it('on SIGTERM refuses new requests first, lets the running one finish, then closes and exits 0', async () => {
    const port = await freePort();
    const api = startApi({
      ...DEGRADED_ENV,
      API_PORT: String(port),
      CONTROL_DATABASE_URL: await prepareControlDatabase('dw_control_api_process_spec'),
      STORE_CALL_TIMEOUT_MS: '30000',
    });
    expect(await waitUntil(() => fetch(`http://127.0.0.1:${port}/health/live`).then((response) => response.ok, () => false), 20_000)).toBe(true);

    // A create held on store A: the owner's row is locked, so the insert waits on its foreign-key check.
    await locker.query('begin');
    await locker.query('select id from users where id = $1 for update', [ownerId]);
    const budgetId = uuidv7();
    const body = JSON.stringify({ id: budgetId, ownerId, name: 'In flight at SIGTERM', amount: '5.00', currency: 'EUR' });
    const connection: Socket = connect(port, '127.0.0.1');
    let received = '';
    connection.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const connectionClosed = new Promise<void>((resolve) => connection.once('close', () => resolve()));
    connection.write(`POST /api/budgets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    // Seen from another session: inside its transaction the locker would keep reading one snapshot of the stats.
    const blockedByLocker = async () => {
      const { rows } = await observer.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [lockerPid]);
      return (rows[0]?.n ?? 0) > 0;
    };
    expect(await waitUntil(blockedByLocker, 10_000)).toBe(true);

    api.kill('SIGTERM');

    // No new connections, while the running request still waits on store A.
    expect(await waitUntil(() => connectionRefused(port), 10_000)).toBe(true);
    // A request on the kept-alive connection, behind the running one.
    connection.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toBe('');
    await locker.query('rollback');
    await connectionClosed;
    const result = await api.finished;

    expect(responsesIn(received)).toEqual([
      { status: 201, headers: expect.objectContaining({ 'x-dualwrite-mode': 'primary-only' }) },
      { status: 503, headers: expect.objectContaining({ connection: 'close', 'retry-after': '5' }) },
    ]);
    await expect(database.count('budgets', 'id = $1', [budgetId])).resolves.toBe(1);
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    const stopped = result.stdout.indexOf('api stopped');
    expect(result.stdout.indexOf('SIGTERM: refusing new requests')).toBeGreaterThan(-1);
    expect(stopped).toBeGreaterThan(result.stdout.indexOf('SIGTERM: refusing new requests'));
  }, 60_000);
});
