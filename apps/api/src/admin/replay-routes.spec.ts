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

describe('POST /admin/replay/:opId/requeue', () => {
  const config = testConfig();
  let api: TestApiApp;
  const requeued = uuidv7();
  const keyless = uuidv7();

  beforeAll(async () => {
    api = await startTestApiApp(config);
    const ledger = new OperationLedger(pool);
    const owedThenDead = { opId: requeued, entity: 'users', operation: 'create' as const, entityIds: [uuidv7()], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase' };
    await ledger.recordOwed(owedThenDead, { id: owedThenDead.entityIds[0] }, new Error('supabase timed out'));
    await ledger.transition(requeued, 'replay_gave_up', { lastError: 'supabase down' });
    await ledger.claim({ opId: keyless, entity: 'comments', operation: 'create', entityIds: [], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: (await pool.query('select version from dual_write_flags')).rows[0].version });
    await ledger.transition(keyless, 'primary_unavailable', { lastError: 'the answer was lost' });
    await ledger.transition(keyless, 'replay_gave_up', { lastError: 'key never learnt' });
  });
  afterAll(async () => {
    await pool.query('delete from dual_write_ops where op_id = any($1::uuid[])', [[requeued, keyless]]);
    await api.close();
  });

  const requeue = (id: string, role: 'operator' | 'viewer' = 'operator') => request(api.server).post(`/admin/replay/${id}/requeue`).set(bearer(adminTokenFor(config, role)));

  it('an operator requeues a dead operation: owed again, attempts from zero, its replay queued; a second requeue is 409', async () => {
    const response = await requeue(requeued);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ opId: requeued, status: 'secondary_pending', queued: true });
    expect(await new OperationLedger(pool).get(requeued)).toMatchObject({ status: 'secondary_pending', attempts: 0, lastError: 'requeued by operator token after: supabase down' });
    const again = await requeue(requeued);
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`operation ${requeued} is secondary_pending, not dead: only a dead operation is requeued`);
  });

  it('409 for a dead serial create whose key nobody learnt; 404 unknown; 400 not a uuid; 403 for a viewer', async () => {
    const refused = await requeue(keyless);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('no replay can find its row');
    expect((await requeue(uuidv7())).status).toBe(404);
    expect((await requeue('not-an-op')).status).toBe(400);
    expect((await requeue(keyless, 'viewer')).status).toBe(403);
  });

  it('an operator abandons that keyless dead create with a reason; without one 400; one with keys or not dead 409', async () => {
    const abandon = (id: string, body: object) => request(api.server).post(`/admin/replay/${id}/abandon`).set(bearer(adminTokenFor(config, 'operator'))).send(body);

    const noReason = await abandon(keyless, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toContain('reason');
    expect((await abandon(requeued, { reason: 'reconciled' })).status).toBe(409);
    const abandoned = await abandon(keyless, { reason: 'reconcile run 42 found no such comment' });

    expect(abandoned.status).toBe(200);
    expect(abandoned.body).toEqual({ opId: keyless, status: 'abandoned' });
    expect(await new OperationLedger(pool).get(keyless)).toMatchObject({ status: 'abandoned', lastError: 'abandoned by operator token: reconcile run 42 found no such comment' });
    const again = await abandon(keyless, { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`operation ${keyless} is abandoned, not dead: only a dead operation is abandoned`);
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
