import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { Pool } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { FlagRepository, OperationLedger } from '@dualwrite/dual-write';
import { createStoreDatabases, dropDatabases, type EntryProcess, scratchDatabaseUrl, scratchPool, startSupabaseLocal, stopSupabaseLocal } from '@dualwrite/testing';
import { createApiApp } from '../../app.factory';
import { startAdminTestApp } from '../../testing/admin-test-app';
import { LogCapture } from '../../testing/test-api-app';
import { DEGRADED_ENV, testConfig } from '../../testing/test-config';
import { seedOwnerWithBudgets, seededBudget } from '../../testing/owner-budgets';

const suffix = randomBytes(4).toString('hex');
/** Both stores and the control database of these tests: databases of their own, never dw_primary or dw_supabase. */
const names = { a: `dw_verify_t_api_${suffix}_a`, b: `dw_verify_t_api_${suffix}_b`, control: `dw_verify_t_api_${suffix}_control` };
const urlOf = scratchDatabaseUrl;
const OWNER = '7e57a000-0000-4000-8000-000000000001';
const budget = seededBudget;

function seed(pool: Pool): Promise<void> {
  return seedOwnerWithBudgets(pool, { id: OWNER, email: 'owner@verify.test' });
}

let endpoint: EntryProcess;
let app: INestApplication;
let server: App;
let poolA: Pool;
let poolB: Pool;
let control: Pool;
let asViewer: { Authorization: string };

beforeAll(async () => {
  const controlUrl = await createStoreDatabases(names);
  const { endpoint: started, url: supabaseUrl } = await startSupabaseLocal(urlOf(names.b));
  endpoint = started;
  [poolA, poolB, control] = [urlOf(names.a), urlOf(names.b), controlUrl].map((url) => scratchPool(url, 2));
  await new FlagRepository(control).change({ next: { enableDualWrite: true, enableSupabasePrimary: false }, changedBy: 'consistency spec', source: 'cli', reason: 'phase 2' });
  const config = testConfig({ PRIMARY_DATABASE_URL: urlOf(names.a), SUPABASE_URL: supabaseUrl, SUPABASE_DB_URL: urlOf(names.b), CONTROL_DATABASE_URL: controlUrl });
  ({ app, server, asViewer } = await startAdminTestApp(config));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await Promise.allSettled([poolA?.end(), poolB?.end(), control?.end()]);
  await stopSupabaseLocal(endpoint);
  await dropDatabases(names);
});

beforeEach(async () => {
  await Promise.all([seed(poolA), seed(poolB), control.query('truncate dual_write_ops')]);
});

describe('GET /admin/consistency/:entity/:id', () => {
  it('answers consistent for a row equal on both stores, to a viewer', async () => {
    const response = await request(server).get(`/admin/consistency/budgets/${budget(1)}`).set(asViewer);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      entity: 'budgets',
      id: budget(1),
      mode: 'dual-primary-a',
      consistent: true,
      primary: { store: 'prisma', row: { name: 'Budget 1', amount: '10' } },
      secondary: { store: 'supabase', row: { name: 'Budget 1', amount: '10' } },
      differences: [],
      ledger: { latest: [], unsettled: [], owed: [], dead: [] },
      recommendations: [],
    });
  });

  it('a row store B lacks while the ledger owes it: the recommendation names the op', async () => {
    await poolB.query('delete from budgets where id = $1', [budget(2)]);
    const owed = await new OperationLedger(control).recordOwed(
      { opId: randomUUID(), entity: 'budgets', operation: 'update', entityIds: [budget(2)], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase' },
      null,
      'supabase unavailable',
    );

    const response = await request(server).get(`/admin/consistency/budgets/${budget(2)}`).set(asViewer);

    expect(response.body.consistent).toBe(false);
    expect(response.body.ledger.owed).toMatchObject([{ opId: owed.opId, status: 'secondary_pending', operation: 'update' }]);
    expect(response.body.recommendations[0]).toContain(`supabase lacks it and the ledger shows op ${owed.opId} (update, secondary_pending`);
  });

  it('a field changed behind the module\'s back: the difference names the field with both values', async () => {
    await poolB.query("update budgets set currency = 'USD' where id = $1", [budget(3)]);

    const response = await request(server).get(`/admin/consistency/budgets/${budget(3)}`).set(asViewer);

    expect(response.body.consistent).toBe(false);
    expect(response.body.differences).toEqual([{ path: '$.currency', field: 'currency', key: budget(3), kind: 'changed', primary: 'EUR', secondary: 'USD' }]);
    expect(response.body.recommendations[0]).toContain('npm run backfill-gap -- --since=2025-12-31T23:59:00.000Z --entity=budgets');
  });

  it('400 for an unknown entity, listing the valid ones, and for a malformed id', async () => {
    const unknown = await request(server).get(`/admin/consistency/budget/${budget(1)}`).set(asViewer);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('Unknown entity "budget". Known entities: users, budgets, posts, comments.');

    const malformed = await request(server).get('/admin/consistency/comments/twelve').set(asViewer);
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toBe('"twelve" is not a comments key: expected a positive integer');
  });

  it('needs a token', async () => {
    const response = await request(server).get(`/admin/consistency/budgets/${budget(1)}`);
    expect(response.status).toBe(401);
  });

  it('is listed in the OpenAPI document with bearer auth', async () => {
    const response = await request(server).get('/admin/docs-json');

    expect(response.body.paths['/admin/consistency/{entity}/{id}']).toEqual({ get: expect.objectContaining({ security: [{ bearer: [] }] }) });
  });
});

describe('GET /admin/consistency without store B', () => {
  let degraded: INestApplication;
  beforeAll(async () => {
    const config = testConfig({ ...DEGRADED_ENV, PRIMARY_DATABASE_URL: urlOf(names.a), CONTROL_DATABASE_URL: urlOf(names.control) });
    __resetOutOfContextForTests();
    degraded = await createApiApp(config, { logDestination: new LogCapture() });
  });
  afterAll(() => degraded?.close());

  it('answers 503 naming the settings', async () => {
    const response = await request(degraded.getHttpServer() as App).get(`/admin/consistency/budgets/${budget(1)}`).set(asViewer);

    expect(response.status).toBe(503);
    expect(response.body.message).toBe('Store B (Supabase) is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is nothing to compare store A with.');
  });
});
