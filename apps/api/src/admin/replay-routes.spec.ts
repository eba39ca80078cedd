import { Pool } from 'pg';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { OperationLedger } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { DEGRADED_ENV, adminTokenFor, bearer, testConfig } from '../testing/test-config';
import { API_TEST_CONTROL_DATABASE, startTestApiApp, type TestApiApp } from '../testing/test-api-app';

const opId = uuidv7();
const entityId = uuidv7();
let pool: Pool;

beforeAll(async () => {
  pool = new Pool({ connectionString: await prepareControlDatabase(API_TEST_CONTROL_DATABASE), max: 2 });
  const ledger = new OperationLedger(pool);
  await ledger.recordOwed(
    {
      opId,
      entity: 'users',
      operation: 'create',
      entityIds: [entityId],
      payload: { id: entityId, email: `dead-${opId}@example.test` },
      primaryStore: 'prisma',
      secondaryStore: 'supabase',
    },
    { id: entityId },
    new Error('supabase timed out'),
  );
  await ledger.recordFailedAttempt(opId, new Error('supabase still down'));
  await ledger.transition(opId, 'replay_gave_up', { lastError: new Error('supabase down for the admin replay spec') });
});

afterAll(async () => {
  await pool.query('delete from dual_write_ops where op_id = $1', [opId]);
  await pool.end();
});

describe('GET /admin/replay', () => {
  const config = testConfig();
  let api: TestApiApp;

  beforeAll(async () => {
    api = await startTestApiApp(config);
  });
  afterAll(() => api.close());

  it('shows ledger counts, the queue depth and a dead operation', async () => {
    const response = await request(api.server).get('/admin/replay').set(bearer(adminTokenFor(config, 'viewer')));

    expect(response.status).toBe(200);
    expect(response.body.counts).toEqual({
      pending: expect.any(Number),
      primary_done: expect.any(Number),
      applied: expect.any(Number),
      secondary_pending: expect.any(Number),
      dead: expect.any(Number),
      rejected: expect.any(Number),
      primary_unavailable: expect.any(Number),
      abandoned: expect.any(Number),
    });
    expect(response.body.counts.dead).toBeGreaterThanOrEqual(1);
    expect(response.body.queueDepth).toEqual(expect.any(Number));
    expect(response.body.note).toBeUndefined();
    expect(response.body.dead).toContainEqual({
      opId,
      entity: 'users',
      operation: 'create',
      entityIds: [entityId],
      attempts: 1,
      lastError: 'Error: supabase down for the admin replay spec',
      updatedAt: expect.any(String),
    });
  });

  it('does not show the payload of dead operations', async () => {
    const response = await request(api.server).get('/admin/replay').set(bearer(adminTokenFor(config, 'viewer')));

    expect(JSON.stringify(response.body)).not.toContain(`dead-${opId}@example.test`);
  });
});

describe('GET /admin/replay with Redis on a closed port', () => {
  const config = testConfig({ ...DEGRADED_ENV, REDIS_URL: 'redis://127.0.0.1:1' });
  let api: TestApiApp;

  beforeAll(async () => {
    api = await startTestApiApp(config);
  });
  afterAll(() => api.close());

  it('still answers from the ledger, with queueDepth null and a note saying why', async () => {
    const response = await request(api.server).get('/admin/replay').set(bearer(adminTokenFor(config, 'viewer')));

    expect(response.status).toBe(200);
    expect(response.body.queueDepth).toBeNull();
    expect(response.body.note).toContain('Redis is unreachable');
    expect(response.body.dead).toContainEqual(expect.objectContaining({ opId }));
  });
});
