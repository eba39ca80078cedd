import { Pool } from 'pg';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { FlagRepository } from '@dualwrite/dual-write';
import { SupabaseStore } from '@dualwrite/stores';
import { eventually, prepareControlDatabase } from '@dualwrite/testing';
import { usersEntity } from '@dualwrite/example-domain';
import { testConfig } from '../testing/test-config';
import { PrimaryDatabase } from '../testing/primary-database';
import { API_TEST_CONTROL_DATABASE, startTestApiApp, type TestApiApp } from '../testing/test-api-app';

const runId = uuidv7();
const database = new PrimaryDatabase();
const createdUserIds: string[] = [];
let api: TestApiApp;
let pool: Pool;
let storeB: SupabaseStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: await prepareControlDatabase(API_TEST_CONTROL_DATABASE), max: 2 });
  await new FlagRepository(pool).change({
    next: { enableDualWrite: true, enableSupabasePrimary: false },
    changedBy: 'dual-write-routes.spec',
    source: 'cli',
    reason: 'phase 2 for the host route tests',
  });
  const config = testConfig();
  api = await startTestApiApp(config);
  const supabase = config.supabase;
  if (!supabase) throw new Error('these tests need store B configured (.env.example)');
  storeB = new SupabaseStore({ url: supabase.url, serviceRoleKey: supabase.serviceRoleKey });
});

afterAll(async () => {
  await new FlagRepository(pool).change({
    next: { enableDualWrite: false, enableSupabasePrimary: false },
    changedBy: 'dual-write-routes.spec',
    source: 'cli',
    reason: 'back to phase 1',
  });
  for (const id of createdUserIds) await storeB.delete(usersEntity, id).catch(() => undefined);
  await database.deleteUsers(createdUserIds);
  await Promise.all([database.close(), api.close(), pool.end(), storeB.close()]);
});

describe('host routes in phase 2 (dual write, store A primary)', () => {
  it('POST /api/users writes both stores and says so in X-DualWrite headers', async () => {
    const response = await request(api.server).post('/api/users').send({ email: `both-${runId}@example.test`, displayName: 'Both' });
    createdUserIds.push(response.body.id);

    expect(response.status).toBe(201);
    expect(response.headers['x-dualwrite-mode']).toBe('dual-primary-a');
    expect(response.headers['x-dualwrite-queued']).toBe('false');
    // The secondary's copy settles just after the answer (SECONDARY_TIMEOUT_MS=0).
    const onB = await eventually(async () => (await storeB.get(usersEntity, response.body.id)) ?? undefined);
    expect(onB).toMatchObject({ id: response.body.id, email: `both-${runId}@example.test` });
  });

  it('POST /app/signup (@DualWrite decorator) writes the shaped payload to both stores', async () => {
    const response = await request(api.server).post('/app/signup').send({ email: `  Signup-${runId}@Example.TEST `, displayName: 'Signup' });
    createdUserIds.push(response.body.id);

    expect(response.status).toBe(201);
    expect(response.body.email).toBe(`signup-${runId}@example.test`);
    expect(response.headers['x-dualwrite-op-id']).toMatch(/^[0-9a-f-]{36}$/);
    await expect(eventually(async () => (await storeB.get(usersEntity, response.body.id)) ?? undefined)).resolves.toMatchObject({
      email: `signup-${runId}@example.test`,
    });
  });

  it('a retried POST with the same Idempotency-Key creates one row and answers the same', async () => {
    const key = uuidv7();
    const body = { email: `retry-${runId}@example.test`, displayName: 'Retry' };

    const first = await request(api.server).post('/api/users').set('Idempotency-Key', key).send(body);
    const second = await request(api.server).post('/api/users').set('Idempotency-Key', key).send(body);
    createdUserIds.push(first.body.id);

    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['x-dualwrite-op-id']).toBe(key);
  });

  it('the same Idempotency-Key with another body is refused with 400 naming the first write; its row is unchanged', async () => {
    const key = uuidv7();
    const body = { email: `reused-${runId}@example.test`, displayName: 'First' };
    const first = await request(api.server).post('/api/users').set('Idempotency-Key', key).send(body);
    createdUserIds.push(first.body.id);

    const reused = await request(api.server).post('/api/users').set('Idempotency-Key', key).send({ ...body, displayName: 'Second' });

    expect(first.body.id).toBe(key);
    expect(reused.status).toBe(400);
    expect(reused.body.issues).toEqual([
      { path: 'Idempotency-Key', message: `already used for a create of users ${key} with another payload: a retry must repeat the same write` },
    ]);
    await expect(database.count('users', 'id = $1 and display_name = $2', [key, 'First'])).resolves.toBe(1);
  });

  it('an Idempotency-Key that is not a UUID is refused with 400 naming the header', async () => {
    const response = await request(api.server).post('/api/users').set('Idempotency-Key', 'twice').send({ email: `bad-key-${runId}@example.test`, displayName: 'Bad key' });

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'Idempotency-Key', message: 'must be a UUID' }]);
  });
});
