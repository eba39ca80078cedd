import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { PrimaryDatabase } from '../testing/primary-database';
import { DEGRADED_ENV, testConfig } from '../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';

// The api's group-commit queue holds at most 1000 creates per store (InsertBatcher's maxPending). Store A is held
// for real: the owner's row is locked FOR UPDATE, so every budget insert waits on the foreign-key check.
const QUEUE_BOUND = 1000;
const OVER_THE_BOUND = 8;

describe('a create refused by backpressure', () => {
  let api: TestApiApp;
  let baseUrl: string;
  const database = new PrimaryDatabase();
  const locker = new Client({ connectionString: process.env['PRIMARY_DATABASE_URL'] });
  const ownerId = uuidv7();

  beforeAll(async () => {
    // Store A only; a call bound far above the time the test holds the lock.
    api = await startTestApiApp(testConfig({ ...DEGRADED_ENV, STORE_CALL_TIMEOUT_MS: '60000' }));
    await api.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
    await locker.connect();
    await locker.query('insert into users (id, email, display_name) values ($1, $2, $3)', [ownerId, `${ownerId}@backpressure.test`, 'Backpressure']);
  });

  afterAll(async () => {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
    await database.deleteUsers([ownerId]);
    await database.close();
    await api.close();
  });

  it('answers 503 with Retry-After at once, writes nothing for it, and the admitted creates all land', async () => {
    await locker.query('begin');
    await locker.query('select id from users where id = $1 for update', [ownerId]);
    const ids = Array.from({ length: QUEUE_BOUND + OVER_THE_BOUND }, () => uuidv7());
    const answered: { id: string; status: number; retryAfter: string | null; body: Record<string, unknown> }[] = [];
    const creates = ids.map(async (id) => {
      const response = await fetch(`${baseUrl}/api/budgets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, ownerId, name: 'Queued', amount: '1.00', currency: 'EUR' }),
      });
      answered.push({ id, status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> });
    });

    // Every create beyond the bound is answered while the admitted ones still wait for store A.
    const deadline = Date.now() + 30_000;
    while (answered.length < OVER_THE_BOUND && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = [...answered];
    await locker.query('rollback');
    await Promise.all(creates);

    expect(refused).toHaveLength(OVER_THE_BOUND);
    for (const answer of refused) {
      expect(answer).toMatchObject({
        status: 503,
        retryAfter: '1',
        body: { statusCode: 503, error: 'Service Unavailable', kind: 'unavailable', store: 'prisma', message: expect.stringContaining('creates already waiting for this store (at most 1000)') },
      });
    }
    const admitted = answered.filter((answer) => !refused.includes(answer));
    expect(admitted.map((answer) => answer.status)).toEqual(Array.from({ length: QUEUE_BOUND }, () => 201));
    await expect(database.count('budgets', 'id = any($1::uuid[])', [refused.map((answer) => answer.id)])).resolves.toBe(0);
    await expect(database.count('budgets', 'id = any($1::uuid[])', [ids])).resolves.toBe(QUEUE_BOUND);
  }, 60_000);
});
