import { Pool } from 'pg';
import request from 'supertest';
import { FlagRepository, FlagService } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { adminTokenFor, bearer, testConfig } from '../testing/test-config';
import { API_TEST_CONTROL_DATABASE, startTestApiApp, type TestApiApp } from '../testing/test-api-app';

const config = testConfig();
const asViewer = bearer(adminTokenFor(config, 'viewer'));
const asOperator = bearer(adminTokenFor(config, 'operator'));
let api: TestApiApp;
let pool: Pool;
let repository: FlagRepository;

async function backToPhase1(reason: string): Promise<void> {
  await repository.change({ next: { enableDualWrite: false, enableSupabasePrimary: false }, changedBy: 'flags-routes.spec', source: 'cli', reason });
}

async function historyCount(): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('select count(*) as n from dual_write_flag_history');
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  pool = new Pool({ connectionString: await prepareControlDatabase(API_TEST_CONTROL_DATABASE), max: 2 });
  repository = new FlagRepository(pool);
  await backToPhase1('phase 1 before the admin flag route tests');
  api = await startTestApiApp(config);
});

afterAll(async () => {
  await backToPhase1('back to phase 1 after the admin flag route tests');
  await Promise.all([api.close(), pool.end()]);
});

describe('GET /admin/flags', () => {
  it('shows the stored flags, the mode they select and their version to a viewer', async () => {
    const stored = await repository.read();

    const response = await request(api.server).get('/admin/flags').set(asViewer);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      enableDualWrite: false,
      enableSupabasePrimary: false,
      mode: { name: 'primary-only', phase: 1, description: 'phase 1: prisma only' },
      version: stored.version,
      updatedAt: stored.updatedAt.toISOString(),
      updatedBy: 'flags-routes.spec',
      reason: stored.reason,
    });
  });
});

describe('PUT /admin/flags', () => {
  afterEach(() => backToPhase1('reset between admin flag route tests'));

  it('as operator switches to phase 2, answers the new state and the one before, and records who and why', async () => {
    const before = await repository.read();

    const response = await request(api.server)
      .put('/admin/flags')
      .set(asOperator)
      .send({ enableDualWrite: true, reason: 'start dual writes', expectedVersion: before.version });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      enableDualWrite: true,
      enableSupabasePrimary: false,
      mode: { name: 'dual-primary-a', phase: 2, description: 'phase 2: dual write, prisma primary (supabase shadow)' },
      version: before.version + 1,
      updatedBy: 'operator token',
      reason: 'start dual writes',
      before: { mode: { phase: 1 }, version: before.version },
    });
    const [latest] = await repository.history(1);
    expect(latest).toMatchObject({
      changedBy: 'operator token',
      source: 'api',
      reason: 'start dual writes',
      before: { enableDualWrite: false, enableSupabasePrimary: false },
      after: { enableDualWrite: true, enableSupabasePrimary: false },
    });
  });

  it('switches this process at once (its flag cache holds the new version)', async () => {
    const response = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualWrite: true, reason: 'phase 2' });

    const seen = await api.app.get(FlagService).current();

    expect(seen).toMatchObject({ version: response.body.version, mode: { name: 'dual-primary-a' } });
  });

  it('never puts the token in the response or the history', async () => {
    const token = adminTokenFor(config, 'operator');

    const response = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualWrite: true, reason: 'token check' });
    const [latest] = await repository.history(1);

    expect(JSON.stringify(response.body)).not.toContain(token);
    expect(JSON.stringify(latest)).not.toContain(token);
  });

  it('refuses a viewer with 403 and writes nothing', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const response = await request(api.server).put('/admin/flags').set(asViewer).send({ enableDualWrite: true, reason: 'viewer tries' });

    expect(response.status).toBe(403);
    expect(await repository.read()).toEqual(before);
    expect(await historyCount()).toBe(entries);
  });

  it('refuses a change without a reason with 400 naming reason, and writes nothing', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const response = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualWrite: true });

    expect(response.status).toBe(400);
    expect(response.body.message).toContain('reason');
    expect(response.body.issues).toEqual([{ path: 'reason', message: expect.stringContaining('is required') }]);
    expect(await repository.read()).toEqual(before);
    expect(await historyCount()).toBe(entries);
  });

  it('refuses a blank reason with 400 naming reason', async () => {
    const response = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualWrite: true, reason: '   ' });

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'reason', message: expect.any(String) }]);
  });

  it('refuses a jump from phase 1 to 3 with 409 naming the way round, and writes nothing', async () => {
    const before = await repository.read();

    const response = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualWrite: true, enableSupabasePrimary: true, reason: 'skip ahead' });

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ from: 1, to: 3, unmet: ['phase 1 → 3 is not a step: go through 1 → 2 → 3, one step at a time'] });
    expect(await repository.read()).toEqual(before);
  });

  it('refuses phase 3 → 4 before any copy, naming every entity; with "force": true it goes ahead and the history says what was overridden', async () => {
    // Phase 3 set in the store (no flip of the primary here: 3 → 4 keeps store B primary, so no barrier is involved).
    await repository.change({ next: { enableDualWrite: true, enableSupabasePrimary: true }, changedBy: 'flags-routes.spec', source: 'cli', reason: 'phase 3' });

    const refused = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualWrite: false, reason: 'store B alone' });

    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ from: 3, to: 4 });
    expect(refused.body.unmet).toEqual(expect.arrayContaining(['budgets: no complete copy A→B (`copy-data`)', 'users: no complete copy A→B (`copy-data`)']));
    expect((await repository.read()).enableDualWrite).toBe(true);

    const forced = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualWrite: false, reason: 'rows copied by hand', force: true });

    expect(forced.status).toBe(200);
    expect(forced.body.mode).toMatchObject({ phase: 4 });
    const [latest] = await repository.history(1);
    expect(latest?.reason).toContain('rows copied by hand [forced past the phase gates: budgets: no complete copy A→B');
  });

  it('refuses a misspelt flag with 400 naming it instead of ignoring it', async () => {
    const response = await request(api.server).put('/admin/flags').set(asOperator).send({ enableDualwrite: true, reason: 'typo' });

    expect(response.status).toBe(400);
    expect(response.body.issues).toContainEqual({ path: 'enableDualwrite', message: 'is not a known field' });
  });

  it('refuses a flag that is not a boolean with 400 naming it', async () => {
    const response = await request(api.server).put('/admin/flags').set(asOperator).send({ enableSupabasePrimary: 'yes', reason: 'string flag' });

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'enableSupabasePrimary', message: 'must be true or false' }]);
  });

  it('answers 409 on a stale expectedVersion, says to re-read, and writes nothing', async () => {
    const before = await repository.read();
    const entries = await historyCount();

    const response = await request(api.server)
      .put('/admin/flags')
      .set(asOperator)
      .send({ enableDualWrite: true, reason: 'based on an old read', expectedVersion: before.version - 1 });

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ expectedVersion: before.version - 1, currentVersion: before.version });
    expect(response.body.message).toMatch(/read them again|Re-read/);
    expect(await repository.read()).toEqual(before);
    expect(await historyCount()).toBe(entries);
  });
  it('answers 409 naming the flip whose fence is up and the process doing it, and writes nothing', async () => {
    const fencer = 'api:other-host:4242:flipping';
    await pool.query(`insert into dual_write_processes (process_id, kind, flag_version, seen_at) values ($1, 'api', 1, now())
                      on conflict (process_id) do update set seen_at = now()`, [fencer]);
    const { after: fenced } = await repository.change({
      next: { enableDualWrite: true, enableSupabasePrimary: true }, changedBy: 'another operator', source: 'api', reason: 'a flip in its barrier', fenced: true, fencedBy: fencer,
    });
    const entries = await historyCount();

    try {
      const response = await request(api.server)
        .put('/admin/flags')
        .set(asOperator)
        .send({ enableDualWrite: true, enableSupabasePrimary: true, reason: 'the same flip from a second console', force: true });

      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ fencedVersion: fenced.version, fencedBy: fencer });
      expect(response.body.message).toContain(`is fencing writes (flag version ${fenced.version}, by ${fencer},`);
      expect(await repository.read()).toMatchObject({ version: fenced.version, fenced: true });
      expect(await historyCount()).toBe(entries);
    } finally {
      await pool.query('delete from dual_write_processes where process_id = $1', [fencer]);
    }
  });
});

describe('GET /admin/flags/history', () => {
  it('lists the latest changes, newest first, up to limit', async () => {
    await repository.change({ next: { enableDualWrite: false }, changedBy: 'flags-routes.spec', source: 'cli', reason: 'history probe' });

    const response = await request(api.server).get('/admin/flags/history?limit=1').set(asViewer);

    expect(response.status).toBe(200);
    expect(response.body).toEqual([expect.objectContaining({ changedBy: 'flags-routes.spec', source: 'cli', reason: 'history probe' })]);
  });

  it('refuses a limit out of range with 400 naming limit', async () => {
    const response = await request(api.server).get('/admin/flags/history?limit=0').set(asViewer);

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'limit', message: 'must be an integer from 1 to 500' }]);
  });
});

describe('admin routes in the OpenAPI document', () => {
  it('lists flags, breakers, diffs and replay with bearer auth', async () => {
    const response = await request(api.server).get('/admin/docs-json');
    const paths = response.body.paths;

    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/admin/flags', '/admin/flags/history', '/admin/breakers', '/admin/breakers/{store}/reset', '/admin/diffs', '/admin/diffs/stats', '/admin/diffs/cleanup', '/admin/replay']),
    );
    expect(paths['/admin/flags'].put.security).toEqual([{ bearer: [] }]);
    expect(paths['/admin/flags'].put.requestBody.content['application/json'].schema).toMatchObject({ required: ['reason'] });
  });
});
