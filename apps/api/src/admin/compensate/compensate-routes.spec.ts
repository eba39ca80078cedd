import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { Pool } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { FlagRepository } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import { LedgerActivity, RECONCILE_MIGRATIONS_DIR, ReconcileRunRepository, Reconciler, SqlTableReader, buildReport } from '@dualwrite/reconcile';
import { createStoreDatabases, dropDatabases, type EntryProcess, scratchDatabaseUrl, scratchPool, startSupabaseLocal, stopSupabaseLocal } from '@dualwrite/testing';
import { createApiApp } from '../../app.factory';
import { startAdminTestApp } from '../../testing/admin-test-app';
import { LogCapture } from '../../testing/test-api-app';
import { DEGRADED_ENV, testConfig } from '../../testing/test-config';
import { seedOwnerWithBudgets, seededBudget } from '../../testing/owner-budgets';

const suffix = randomBytes(4).toString('hex');
/** Both stores and the control database of these tests: databases of their own. */
const names = { a: `dw_h4_compensate_${suffix}_a`, b: `dw_h4_compensate_${suffix}_b`, control: `dw_h4_compensate_${suffix}_control` };
const urlOf = scratchDatabaseUrl;
const OWNER = '7e57a000-0000-4000-8000-00000000c001';
const budget = seededBudget;
/** A budget only store B holds: nothing proves a delete, so a repair leaves it. */
const ORPHAN = '7e57b000-0000-4000-8000-0000000000ff';

function seed(pool: Pool): Promise<void> {
  return seedOwnerWithBudgets(pool, { id: OWNER, email: 'owner@compensate.test' });
}

let endpoint: EntryProcess;
let app: INestApplication;
let server: App;
let poolA: Pool;
let poolB: Pool;
let control: Pool;
let asViewer: { Authorization: string };
let asOperator: { Authorization: string };

/** Store B drifts behind the module's back (budget 1 missing, budget 2's currency changed, optionally an orphan); a real reconcile run records it. */
async function reconciledDrift(withOrphan: boolean): Promise<{ runId: string; report: Record<string, unknown> }> {
  await poolB.query('delete from budgets where id = $1', [budget(1)]);
  await poolB.query("update budgets set currency = 'USD' where id = $1", [budget(2)]);
  if (withOrphan) await poolB.query(`insert into budgets (id, owner_id, name, amount, currency) values ($1, $2, 'only on B', 1, 'EUR')`, [ORPHAN, OWNER]);
  const reconciler = new Reconciler({
    entities: exampleEntities,
    primary: new SqlTableReader('prisma', poolA),
    secondary: new SqlTableReader('supabase', poolB, { schema: 'public' }),
    ledger: new LedgerActivity(control),
  });
  const result = await reconciler.run(['budgets']);
  await new ReconcileRunRepository(control).save(result, ['budgets']);
  return { runId: result.runId, report: buildReport(result) as unknown as Record<string, unknown> };
}

const storeBRow = async (id: string) => (await poolB.query<{ currency: string }>('select currency from budgets where id = $1', [id])).rows[0] ?? null;
const repairRuns = async () => (await control.query('select 1 from repair_runs')).rowCount;

beforeAll(async () => {
  const controlUrl = await createStoreDatabases(names, [RECONCILE_MIGRATIONS_DIR]);
  const { endpoint: started, url: supabaseUrl } = await startSupabaseLocal(urlOf(names.b));
  endpoint = started;
  [poolA, poolB, control] = [urlOf(names.a), urlOf(names.b), controlUrl].map((url) => scratchPool(url, 2));
  await new FlagRepository(control).change({ next: { enableDualWrite: true, enableSupabasePrimary: false }, changedBy: 'compensate spec', source: 'cli', reason: 'phase 2' });
  const config = testConfig({ PRIMARY_DATABASE_URL: urlOf(names.a), SUPABASE_URL: supabaseUrl, SUPABASE_DB_URL: urlOf(names.b), CONTROL_DATABASE_URL: controlUrl });
  ({ app, server, asViewer, asOperator } = await startAdminTestApp(config));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await Promise.allSettled([poolA?.end(), poolB?.end(), control?.end()]);
  await stopSupabaseLocal(endpoint);
  await dropDatabases(names);
});

beforeEach(async () => {
  await Promise.all([seed(poolA), seed(poolB), control.query('truncate dual_write_ops, repair_runs cascade')]);
});

describe('POST /admin/compensate', () => {
  it('a dry run of a stored run lists every planned change and writes nothing', async () => {
    const { runId } = await reconciledDrift(true);

    const response = await request(server).post('/admin/compensate').set(asOperator).send({ runId });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ dryRun: true, reportRunId: runId, primaryStore: 'prisma', secondaryStore: 'supabase', warnings: [], counts: { copy: 2, leave: 1 } });
    const byKey = Object.fromEntries((response.body.actions as { key: string; action: string; detail: string }[]).map((action) => [action.key, action]));
    expect(byKey[budget(1)]).toMatchObject({ entity: 'budgets', action: 'copy', detail: 'insert on supabase the row prisma holds' });
    expect(byKey[budget(2)]).toMatchObject({ action: 'copy', detail: expect.stringContaining('update on supabase from prisma: currency') });
    expect(byKey[ORPHAN]).toMatchObject({ action: 'leave', reason: expect.stringContaining('the ledger records no delete of it') });
    expect(await storeBRow(budget(1))).toBeNull();
    expect(await storeBRow(budget(2))).toEqual({ currency: 'USD' });
    expect(await repairRuns()).toBe(0);
  });

  it('a report sent in the body plans the same changes as its stored run', async () => {
    const { runId, report } = await reconciledDrift(true);

    const fromRun = await request(server).post('/admin/compensate').set(asOperator).send({ runId });
    const fromReport = await request(server).post('/admin/compensate').set(asOperator).send({ report });

    expect(fromReport.status).toBe(200);
    const actionsOf = (body: { actions: { key: string; action: string }[] }) => body.actions.map(({ key, action }) => ({ key, action })).sort((x, y) => x.key.localeCompare(y.key));
    expect(actionsOf(fromReport.body)).toEqual(actionsOf(fromRun.body));
    expect(fromReport.body.reportRunId).toBe(runId);
  });

  it('skips and lists a key changed since the report, never overwriting it', async () => {
    const { runId } = await reconciledDrift(false);
    await poolB.query("update budgets set currency = 'GBP' where id = $1", [budget(2)]);

    const response = await request(server).post('/admin/compensate').set(asOperator).send({ runId, apply: true, confirm: runId, reason: 'spec: changed since' });

    const changed = (response.body.actions as { key: string; action: string; outcome: string }[]).find((action) => action.key === budget(2));
    expect(changed).toMatchObject({ action: 'skip_changed', outcome: 'skipped' });
    expect(await storeBRow(budget(2))).toEqual({ currency: 'GBP' });
    expect(response.body.left).toEqual([{ entity: 'budgets', key: budget(2), reason: expect.any(String) }]);
  });

  it('applies with the run id in "confirm" and a reason: repairs, audits, re-checks, and answers zero keys left', async () => {
    const { runId } = await reconciledDrift(false);

    const response = await request(server).post('/admin/compensate').set(asOperator).send({ runId, apply: true, confirm: runId, reason: 'spec: drift after the outage' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ dryRun: false, reportRunId: runId, left: [], counts: { copied: 2, deleted: 0, left: 0, skipped: 0, failed: 0 } });
    expect(await storeBRow(budget(1))).toEqual({ currency: 'EUR' });
    expect(await storeBRow(budget(2))).toEqual({ currency: 'EUR' });
    const { rows } = await control.query<{ status: string; requested_by: string; actions: number }>(
      `select r.status, r.requested_by, (select count(*)::int from repair_actions a where a.repair_id = r.repair_id) as actions from repair_runs r`,
    );
    expect(rows).toEqual([{ status: 'completed', requested_by: 'operator token: spec: drift after the outage', actions: 2 }]);
  });

  it('answers what is left after applying and why: a row only store B holds, with no recorded delete', async () => {
    const { runId } = await reconciledDrift(true);

    const response = await request(server).post('/admin/compensate').set(asOperator).send({ runId, apply: true, confirm: runId, reason: 'spec: orphan' });

    expect(response.body.counts).toMatchObject({ copied: 2, left: 1 });
    expect(response.body.left).toEqual([
      { entity: 'budgets', key: ORPHAN, reason: `the primary has no budgets ${ORPHAN} and the ledger records no delete of it: both rows left` },
    ]);
    expect(await storeBRow(ORPHAN)).toEqual({ currency: 'EUR' });
  });

  it('refuses to apply without "confirm" repeating the run id, or without a reason; nothing applied', async () => {
    const { runId } = await reconciledDrift(false);

    const unconfirmed = await request(server).post('/admin/compensate').set(asOperator).send({ runId, apply: true, confirm: randomUUID(), reason: 'spec' });
    const reasonless = await request(server).post('/admin/compensate').set(asOperator).send({ runId, apply: true, confirm: runId });

    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.message).toContain(`send "confirm": "${runId}" (the reconcile run id)`);
    expect(reasonless.status).toBe(400);
    expect(reasonless.body.message).toBe('Invalid body: reason: is required with "apply": true (why the repair is made; recorded in repair_runs)');
    expect(await storeBRow(budget(1))).toBeNull();
    expect(await repairRuns()).toBe(0);
  });

  it('400 for a report of another format or a malformed one, naming what is wrong; nothing applied', async () => {
    const { runId, report } = await reconciledDrift(false);
    const { finishedAt: _dropped, ...withoutFinish } = report;
    const attempt = (body: Record<string, unknown>) => request(server).post('/admin/compensate').set(asOperator).send({ ...body, apply: true, confirm: runId, reason: 'spec' });

    const foreign = await attempt({ report: { format: 'dualwrite.backup-manifest/1', tables: [] } });
    const malformed = await attempt({ report: { ...withoutFinish, entities: [{ entity: 'budgets' }] } });
    const notAnObject = await attempt({ report: 'reconcile-report-2026-11-29.json' });

    expect(foreign.status).toBe(400);
    expect(foreign.body.message).toBe(
      'body.report is not a reconcile report: format "dualwrite.backup-manifest/1", expected "dualwrite.reconcile-report/1" (written by reconcile-data --report); nothing applied',
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/^body\.report is a malformed reconcile report: finishedAt: .*; entities\.0\.primaryStore: .*; nothing applied$/);
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body.message).toBe('Invalid body: report: must be a reconcile report: the JSON object reconcile-data --report writes');
    expect(await storeBRow(budget(1))).toBeNull();
    expect(await repairRuns()).toBe(0);
  });

  it('400 for a report of other stores or an unknown entity, naming them; nothing applied', async () => {
    const { runId, report } = await reconciledDrift(false);
    const [entity] = report['entities'] as Record<string, unknown>[];
    const attempt = (changes: Record<string, unknown>) =>
      request(server).post('/admin/compensate').set(asOperator).send({ report: { ...report, entities: [{ ...entity, ...changes }] }, apply: true, confirm: runId, reason: 'spec' });

    const otherStores = await attempt({ primaryStore: 'mysql' });
    const unknownEntity = await attempt({ entity: 'invoices' });

    expect(otherStores.status).toBe(400);
    expect(otherStores.body.message).toBe('the report compares mysql and supabase for budgets; this platform\'s stores are prisma and supabase: refused, nothing applied');
    expect(unknownEntity.status).toBe(400);
    expect(unknownEntity.body.message).toBe('the report names an unknown entity "invoices"; valid: users, budgets, posts, comments; nothing applied');
    expect(await storeBRow(budget(1))).toBeNull();
    expect(await repairRuns()).toBe(0);
  });

  it('400 for neither or both of runId and report, a malformed id, an unknown run', async () => {
    const unknown = randomUUID();
    const cases = await Promise.all([
      request(server).post('/admin/compensate').set(asOperator).send({}),
      request(server).post('/admin/compensate').set(asOperator).send({ runId: unknown, report: {} }),
      request(server).post('/admin/compensate').set(asOperator).send({ runId: 'yesterday' }),
      request(server).post('/admin/compensate').set(asOperator).send({ runId: unknown }),
      request(server).post('/admin/compensate').set(asOperator).send({ runId: unknown, force: true }),
    ]);

    expect(cases.map((response) => [response.status, response.body.message])).toEqual([
      [400, 'Invalid body: runId: give exactly one of "runId" and "report": the findings to repair'],
      [400, 'Invalid body: runId: give exactly one of "runId" and "report": the findings to repair'],
      [400, 'Invalid body: runId: must be a reconcile run id (a uuid)'],
      [400, `no reconcile run ${unknown} in reconcile_runs; nothing applied`],
      [400, 'Invalid body: force: is not a known field'],
    ]);
  });

  it('needs an operator token: 401 without one, 403 for a viewer', async () => {
    const { runId } = await reconciledDrift(false);

    expect((await request(server).post('/admin/compensate').send({ runId })).status).toBe(401);
    expect((await request(server).post('/admin/compensate').set(asViewer).send({ runId })).status).toBe(403);
  });
});

describe('GET /admin/compensate', () => {
  it('lists past repairs newest first, and one with its actions, to a viewer', async () => {
    const { runId } = await reconciledDrift(true);
    const applied = await request(server).post('/admin/compensate').set(asOperator).send({ runId, apply: true, confirm: runId, reason: 'spec: listed' });

    const list = await request(server).get('/admin/compensate?limit=5').set(asViewer);
    const one = await request(server).get(`/admin/compensate/${applied.body.repairId}?actions=2`).set(asViewer);

    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      expect.objectContaining({
        repairId: applied.body.repairId,
        reportRunId: runId,
        status: 'completed',
        requestedBy: 'operator token: spec: listed',
        summary: expect.objectContaining({ counts: expect.objectContaining({ copied: 2, left: 1 }), left: [expect.objectContaining({ key: ORPHAN })] }),
      }),
    ]);
    expect(one.status).toBe(200);
    expect(one.body.actionsTotal).toBe(3);
    expect(one.body.actions).toHaveLength(2);
    expect(one.body.run.repairId).toBe(applied.body.repairId);
  });

  it('404 for an unknown repair, 400 for a malformed id or limit', async () => {
    const unknown = randomUUID();

    const missing = await request(server).get(`/admin/compensate/${unknown}`).set(asViewer);
    const malformed = await request(server).get('/admin/compensate/latest').set(asViewer);
    const badLimit = await request(server).get('/admin/compensate?limit=0').set(asViewer);

    expect([missing.status, missing.body.message]).toEqual([404, `No repair ${unknown} in repair_runs.`]);
    expect([malformed.status, malformed.body.message]).toEqual([400, '"latest" is not a repair id (a uuid)']);
    expect([badLimit.status, badLimit.body.message]).toEqual([400, 'Invalid query: limit: must be an integer from 1 to 500']);
  });

  it('is listed in the OpenAPI document with bearer auth', async () => {
    const response = await request(server).get('/admin/docs-json');

    expect(response.body.paths['/admin/compensate']).toEqual({
      post: expect.objectContaining({ security: [{ bearer: [] }] }),
      get: expect.objectContaining({ security: [{ bearer: [] }] }),
    });
    expect(response.body.paths['/admin/compensate']['post'].requestBody.content['application/json'].schema.properties).toHaveProperty('confirm');
  });
});

describe('POST /admin/compensate without store B', () => {
  let degraded: INestApplication;
  beforeAll(async () => {
    const config = testConfig({ ...DEGRADED_ENV, PRIMARY_DATABASE_URL: urlOf(names.a), CONTROL_DATABASE_URL: urlOf(names.control) });
    __resetOutOfContextForTests();
    degraded = await createApiApp(config, { logDestination: new LogCapture() });
  });
  afterAll(() => degraded?.close());

  it('answers 503 naming the settings', async () => {
    const response = await request(degraded.getHttpServer() as App).post('/admin/compensate').set(asOperator).send({ runId: randomUUID() });

    expect(response.status).toBe(503);
    expect(response.body.message).toBe('Store B (Supabase) is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is nothing to repair.');
  });
});
