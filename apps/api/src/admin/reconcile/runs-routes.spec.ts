import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { KeySync, OperationLedger, bullConnection } from '@dualwrite/dual-write';
import { createPrismaClient, exampleEntities } from '@dualwrite/example-domain';
import { LedgerActivity, RECONCILE_MIGRATIONS_DIR, RunWorker, SqlKeyLister, SqlTableReader, readForeignKeys, type RunProgress } from '@dualwrite/reconcile';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import { createStoreDatabases, dropDatabases, type EntryProcess, eventually, onDatabase, prepareControlDatabase, scratchDatabaseUrl, scratchPool, startSupabaseLocal, stopSupabaseLocal } from '@dualwrite/testing';
import { createApiApp } from '../../app.factory';
import { startAdminTestApp } from '../../testing/admin-test-app';
import { LogCapture } from '../../testing/test-api-app';
import { DEGRADED_ENV, testConfig } from '../../testing/test-config';

const REDIS_URL = process.env['REDIS_URL'] as string;
const suffix = randomBytes(4).toString('hex');
const names = { a: `dw_h3_api_${suffix}_a`, b: `dw_h3_api_${suffix}_b`, control: `dw_h3_api_${suffix}_control`, bare: `dw_h3_api_${suffix}_bare` };
const urlOf = scratchDatabaseUrl;
const QUEUE = { queueName: `runs-api-${suffix}`, prefix: 'h3' };

const SEED_USERS = `insert into users (id, email, display_name, created_at, updated_at)
  select md5('user' || n)::uuid, 'user' || n || '@runs.test', 'User ' || n, '2026-01-01Z', '2026-01-01Z' from generate_series(1, 200) n`;

/** Each count and checksum waits first, so a run lasts long enough to be watched moving. */
function slowReads(reader: SqlTableReader, ms: number): SqlTableReader {
  const pause = () => new Promise((resolve) => setTimeout(resolve, ms));
  const [count, checksum, segmentChecksums] = [reader.count.bind(reader), reader.checksum.bind(reader), reader.segmentChecksums.bind(reader)];
  reader.count = async (...args) => (await pause(), count(...args));
  reader.checksum = async (...args) => (await pause(), checksum(...args));
  reader.segmentChecksums = async (...args) => (await pause(), segmentChecksums(...args));
  return reader;
}

let endpoint: EntryProcess;
let app: INestApplication;
let server: App;
let poolA: Pool;
let poolB: Pool;
let control: Pool;
let prisma: PrismaStore;
let supabase: SupabaseStore;
let worker: RunWorker;
let asOperator: { Authorization: string };
let asViewer: { Authorization: string };

beforeAll(async () => {
  const controlUrl = await createStoreDatabases(names, [RECONCILE_MIGRATIONS_DIR]);
  await onDatabase(names.a, SEED_USERS);
  await onDatabase(names.b, SEED_USERS);
  await onDatabase(names.b, `update users set display_name = 'Drifted' where id in (md5('user3')::uuid, md5('user150')::uuid)`);
  const { endpoint: started, url: supabaseUrl } = await startSupabaseLocal(urlOf(names.b));
  endpoint = started;
  [poolA, poolB, control] = [urlOf(names.a), urlOf(names.b), controlUrl].map((url) => scratchPool(url, 4));
  prisma = new PrismaStore(createPrismaClient(urlOf(names.a)), { ownsClient: true });
  supabase = new SupabaseStore({ url: supabaseUrl, serviceRoleKey: process.env['SUPABASE_SERVICE_ROLE_KEY'] ?? '', databaseUrl: urlOf(names.b) });
  // One worker of the run queue in this process (the worker app's RunWorker, with store reads slowed down).
  worker = new RunWorker({
    entities: exampleEntities,
    control,
    queue: { connection: bullConnection(REDIS_URL), ...QUEUE },
    reconcileSides: { a: slowReads(new SqlTableReader('prisma', poolA), 150), b: new SqlTableReader('supabase', poolB, { schema: 'public' }) },
    copy: {
      a: { store: prisma, keys: new SqlKeyLister(poolA), foreignKeys: () => readForeignKeys(poolA) },
      b: { store: supabase, keys: new SqlKeyLister(poolB, 'public'), foreignKeys: () => readForeignKeys(poolA) },
      keySync: new KeySync({ pool: control, ledger: new OperationLedger(control) }),
    },
    ledger: new LedgerActivity(control),
    settings: { concurrency: 1 },
  });
  await worker.start();
  process.env['DW_RUNS_QUEUE'] = QUEUE.queueName;
  process.env['DW_RUNS_PREFIX'] = QUEUE.prefix;
  const config = testConfig({ PRIMARY_DATABASE_URL: urlOf(names.a), SUPABASE_URL: supabaseUrl, SUPABASE_DB_URL: urlOf(names.b), CONTROL_DATABASE_URL: controlUrl });
  ({ app, server, asViewer, asOperator } = await startAdminTestApp(config));
}, 120_000);

afterAll(async () => {
  delete process.env['DW_RUNS_QUEUE'];
  delete process.env['DW_RUNS_PREFIX'];
  await app?.close();
  await worker?.close();
  const queue = new Queue(QUEUE.queueName, { connection: bullConnection(REDIS_URL), prefix: QUEUE.prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  await Promise.allSettled([prisma?.close(), supabase?.close(), poolA?.end(), poolB?.end(), control?.end()]);
  await stopSupabaseLocal(endpoint);
  await dropDatabases(names);
});

async function progressOf(url: string): Promise<RunProgress> {
  const response = await request(server).get(url).set(asViewer);
  expect(response.status).toBe(200);
  return response.body as RunProgress;
}

async function finished(url: string): Promise<RunProgress> {
  return eventually(async () => {
    const progress = await progressOf(url);
    return progress.status === 'running' ? undefined : progress;
  }, 60_000);
}

describe('POST /admin/reconcile and GET /admin/reconcile/runs/:id', () => {
  it('202 with the run id; a second start is 409 naming the running run; progress moves to the findings', async () => {
    const started = await request(server).post('/admin/reconcile').set(asOperator).send({ entity: 'users', segmentRows: 20 });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ runId: expect.any(String), kind: 'reconcile', entities: ['users'], statusUrl: `/admin/reconcile/runs/${started.body.runId}` });

    const again = await request(server).post('/admin/reconcile').set(asOperator).send({ entity: 'all' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ runningRunId: started.body.runId, entity: 'users', message: expect.stringContaining(`a reconcile of users is already running: run ${started.body.runId}`) });

    const seen: RunProgress[] = [];
    const done = await eventually(async () => {
      const progress = await progressOf(started.body.statusUrl);
      seen.push(progress);
      return progress.status === 'running' ? undefined : progress;
    }, 60_000);
    const midway = seen.find((progress) => progress.segments.done > 0 && progress.segments.done < 10);
    if (!midway) throw new Error(`no progress seen between the first and the last segment: ${JSON.stringify(seen.map((seenOne) => [seenOne.status, seenOne.segments]))}`);
    expect(midway).toMatchObject({ status: 'running', segments: { total: 10 }, rows: { planned: 200 }, etaSeconds: expect.any(Number), rowsPerSecond: expect.any(Number) });
    expect(midway?.percent).toBeGreaterThan(0);
    expect(midway?.percent).toBeLessThan(100);
    expect(done).toMatchObject({
      status: 'completed',
      requestedBy: 'operator token',
      primarySide: 'a',
      segments: { done: 10, failed: 0, total: 10 },
      rows: { covered: 200, planned: 200 },
      findings: 2,
      differingKeys: 2,
      percent: 100,
      etaSeconds: null,
      entities: [{ entity: 'users', status: 'completed', segmentsDone: 10, segmentsTotal: 10, findings: 2, error: null }],
    });

    const list = await request(server).get('/admin/reconcile/runs?limit=5').set(asViewer);
    expect(list.body.map((run: RunProgress) => run.runId)).toEqual([started.body.runId]);
  });

  it('400 naming an unknown entity or a bad option; 403 for a viewer; 401 without a token; 404 for an unknown run', async () => {
    const unknown = await request(server).post('/admin/reconcile').set(asOperator).send({ entity: 'user' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('Unknown entity "user". Known entities: users, budgets, posts, comments.');

    const bad = await request(server).post('/admin/reconcile').set(asOperator).send({ entity: 'users', segmentRows: 0, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('Invalid body: segmentRows: must be at least 1; extra: is not a known field');

    expect((await request(server).post('/admin/reconcile').set(asViewer).send({ entity: 'users' })).status).toBe(403);
    expect((await request(server).get('/admin/reconcile/runs')).status).toBe(401);
    const missing = await request(server).get('/admin/reconcile/runs/00000000-0000-4000-8000-000000000000').set(asViewer);
    expect(missing.status).toBe(404);
    expect((await request(server).get('/admin/reconcile/runs/nope').set(asViewer)).status).toBe(400);
  });

  it('cancel: a running run ends failed naming who cancelled it and releases its entity; 409 once ended, 403 for a viewer', async () => {
    const started = await request(server).post('/admin/reconcile').set(asOperator).send({ entity: 'users', segmentRows: 20 });
    expect(started.status).toBe(202);
    expect((await request(server).post(`/admin/reconcile/runs/${started.body.runId}/cancel`).set(asViewer)).status).toBe(403);

    const cancelled = await request(server).post(`/admin/reconcile/runs/${started.body.runId}/cancel`).set(asOperator);

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ runId: started.body.runId, status: 'failed', error: 'cancelled by operator token' });
    const again = await request(server).post(`/admin/reconcile/runs/${started.body.runId}/cancel`).set(asOperator);
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`run ${started.body.runId} is not running (failed): there is nothing to cancel`);
    expect((await request(server).post('/admin/copy/runs/00000000-0000-4000-8000-000000000000/cancel').set(asOperator)).status).toBe(404);
    const next = await request(server).post('/admin/reconcile').set(asOperator).send({ entity: 'users', segmentRows: 100 });
    expect(next.status).toBe(202);
    expect(await finished(next.body.statusUrl)).toMatchObject({ status: 'completed', findings: 2 });
  });

  it('is listed in the OpenAPI document with bearer auth', async () => {
    const response = await request(server).get('/admin/docs-json');

    for (const route of ['/admin/reconcile', '/admin/copy', '/admin/reconcile/runs/{id}/cancel', '/admin/copy/runs/{id}/cancel']) {
      expect(response.body.paths[route]).toEqual({ post: expect.objectContaining({ security: [{ bearer: [] }] }) });
    }
    for (const route of ['/admin/reconcile/runs/{id}', '/admin/copy/runs/{id}', '/admin/reconcile/runs', '/admin/copy/runs']) {
      expect(response.body.paths[route]).toEqual({ get: expect.objectContaining({ security: [{ bearer: [] }] }) });
    }
  });
});

describe('POST /admin/copy and GET /admin/copy/runs/:id', () => {
  it('copies store A into store B chunk by chunk; progress counts the chunks; B equals A after', async () => {
    const started = await request(server).post('/admin/copy').set(asOperator).send({ entity: ['users'], chunkSize: 50, rate: 2000 });
    expect(started.status).toBe(202);

    const again = await request(server).post('/admin/copy').set(asOperator).send({ entity: 'users' });
    expect(again.status).toBe(409);
    expect(again.body.runningRunId).toBe(started.body.runId);

    const done = await finished(started.body.statusUrl);
    expect(done).toMatchObject({ kind: 'copy', status: 'completed', segments: { done: 4, failed: 0, total: 4 }, rows: { covered: 200, planned: 200 }, keysLeft: 0 });
    const users = exampleEntities.find((entity) => entity.name === 'users');
    if (!users) throw new Error('no users entity');
    const [a, b] = await Promise.all([prisma.checksum(users), supabase.checksum(users)]);
    expect(b).toEqual(a);
    expect((await request(server).get(`/admin/reconcile/runs/${started.body.runId}`).set(asViewer)).status).toBe(404);
  });

  it('409 for a copy from store B while the flags name store A the primary: no run is started', async () => {
    const refused = await request(server).post('/admin/copy').set(asOperator).send({ entity: 'users', from: 'b' });

    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ from: 'b', message: expect.stringContaining('copy from store B refused: the flags name store A the primary') });
    const { rows } = await control.query(`select 1 from distributed_runs where kind = 'copy' and primary_side = 'b'`);
    expect(rows).toEqual([]);
  });

  it('400 naming a rate that is not a positive whole number of rows per second', async () => {
    for (const [rate, message] of [
      [0, 'rate: must be at least 1 row per second'],
      [2.5, 'rate: must be a whole number of rows per second'],
      ['fast', 'rate: must be a number of rows per second'],
    ] as const) {
      const refused = await request(server).post('/admin/copy').set(asOperator).send({ entity: 'users', rate });
      expect({ rate, status: refused.status, message: refused.body.message }).toEqual({ rate, status: 400, message: `Invalid body: ${message}` });
    }
  });
});

describe('/admin/reconcile and /admin/copy without store B, or without the runs\' tables', () => {
  let degraded: INestApplication;
  let bare: INestApplication;
  beforeAll(async () => {
    __resetOutOfContextForTests();
    degraded = await createApiApp(testConfig({ ...DEGRADED_ENV, PRIMARY_DATABASE_URL: urlOf(names.a), CONTROL_DATABASE_URL: urlOf(names.control) }), { logDestination: new LogCapture() });
    // A control database with the platform's tables but not libs/reconcile/migrations.
    const bareUrl = await prepareControlDatabase(names.bare);
    __resetOutOfContextForTests();
    bare = await createApiApp(testConfig({ PRIMARY_DATABASE_URL: urlOf(names.a), SUPABASE_DB_URL: urlOf(names.b), CONTROL_DATABASE_URL: bareUrl }), { logDestination: new LogCapture() });
  });
  afterAll(async () => {
    await degraded?.close();
    await bare?.close();
  });

  it('answers 503 naming the settings when store B is not configured', async () => {
    for (const route of ['/admin/reconcile', '/admin/copy']) {
      const response = await request(degraded.getHttpServer() as App).post(route).set(asOperator).send({ entity: 'users' });
      expect(response.status).toBe(503);
      expect(response.body.message).toContain('Store B (Supabase) is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY)');
    }
  });

  it('answers 503 saying how to add the tables when the control database lacks them', async () => {
    const response = await request(bare.getHttpServer() as App).get('/admin/reconcile/runs').set(asViewer);
    expect(response.status).toBe(503);
    expect(response.body.message).toBe("The distributed runs' tables are missing from the control database: run `npm run setup` (it applies libs/reconcile/migrations).");
  });
});
