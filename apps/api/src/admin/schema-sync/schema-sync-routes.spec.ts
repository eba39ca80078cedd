import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { adminTokenFor, bearer, testConfig } from '../../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../../testing/test-api-app';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
const SERVER = new URL(process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary');
/** Store B of these tests: a database of their own, never dw_supabase. */
const STORE_B = `dw_pipeline_t_api_sync_${process.pid}`;
const urlOf = (database: string) => Object.assign(new URL(SERVER.toString()), { pathname: `/${database}` }).toString();

async function onDatabase<T>(database: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const config = testConfig({ SUPABASE_DB_URL: urlOf(STORE_B) });
const asViewer = bearer(adminTokenFor(config, 'viewer'));
const asOperator = bearer(adminTokenFor(config, 'operator'));
const asAdmin = bearer(adminTokenFor(config, 'admin'));
let api: TestApiApp;

beforeAll(async () => {
  await onDatabase('postgres', async (client) => {
    await client.query(`drop database if exists "${STORE_B}" with (force)`);
    await client.query(`create database "${STORE_B}"`);
  });
  await onDatabase(STORE_B, (client) => client.query(readFileSync(path.join(ROOT, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8')));
  await new SqlMigrationRunner('supabase', path.join(ROOT, 'supabase', 'migrations')).run(urlOf(STORE_B));
  // Store B falls behind the registry: a table, a column, an index, a policy and RLS missing.
  await onDatabase(STORE_B, (client) =>
    client.query(`drop table comments; alter table posts drop column published; drop index budgets_owner_id_idx;
                  drop policy users_service_role_all on users; alter table budgets disable row level security`),
  );
  api = await startTestApiApp(config);
});
afterAll(async () => {
  await api?.close();
  await onDatabase('postgres', (client) => client.query(`drop database if exists "${STORE_B}" with (force)`));
});

const findingsOf = (body: { findings: { kind: string; table: string }[] }) => body.findings.map(({ kind, table }) => `${kind} ${table}`);

describe('/admin/schema-sync', () => {
  it('GET reports what store B lacks, to a viewer', async () => {
    const response = await request(api.server).get('/admin/schema-sync').set(asViewer);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ database: STORE_B, entities: ['users', 'budgets', 'posts', 'comments'], clean: false });
    expect(findingsOf(response.body)).toEqual([
      'missing_service_role_policy users',
      'missing_index budgets',
      'rls_disabled budgets',
      'missing_column posts',
      'missing_table comments',
    ]);
  });

  it('POST is refused to an operator (admin only) and changes nothing', async () => {
    const response = await request(api.server).post('/admin/schema-sync').set(asOperator);

    expect(response.status).toBe(403);
    const after = await request(api.server).get('/admin/schema-sync').set(asViewer);
    expect(after.body.findings).toHaveLength(5);
  });

  it('POST as admin creates everything missing in one transaction, answers what it ran, then GET reports clean', async () => {
    const response = await request(api.server).post('/admin/schema-sync').set(asAdmin);

    expect(response.status).toBe(200);
    expect(findingsOf({ findings: response.body.applied })).toEqual([
      'missing_service_role_policy users',
      'missing_index budgets',
      'rls_disabled budgets',
      'missing_column posts',
      'missing_table comments',
    ]);
    expect(response.body.applied[4].sql[0]).toMatch(/^create table public\."comments" \(/);
    expect(response.body.after).toMatchObject({ findings: [], clean: true });

    const again = await request(api.server).get('/admin/schema-sync').set(asViewer);
    expect(again.body).toMatchObject({ findings: [], clean: true });
    const rls = await onDatabase(STORE_B, async (client) => (await client.query(`select relname, relrowsecurity from pg_class where relname in ('budgets', 'comments') order by 1`)).rows);
    expect(rls).toEqual([{ relname: 'budgets', relrowsecurity: true }, { relname: 'comments', relrowsecurity: true }]);
  });

  it('is listed in the OpenAPI document with bearer auth', async () => {
    const response = await request(api.server).get('/admin/docs-json');

    expect(response.body.paths['/admin/schema-sync']).toEqual({
      get: expect.objectContaining({ security: [{ bearer: [] }] }),
      post: expect.objectContaining({ security: [{ bearer: [] }] }),
    });
  });
});

describe('/admin/schema-sync without SUPABASE_DB_URL', () => {
  let degraded: TestApiApp;
  beforeAll(async () => {
    degraded = await startTestApiApp(testConfig({ SUPABASE_URL: '', SUPABASE_SERVICE_ROLE_KEY: '', SUPABASE_DB_URL: '' }));
  });
  afterAll(() => degraded.close());

  it('answers 503 naming the setting', async () => {
    const response = await request(degraded.server).get('/admin/schema-sync').set(asViewer);

    expect(response.status).toBe(503);
    expect(response.body.message).toBe("Schema sync needs store B's Postgres connection: set SUPABASE_DB_URL (and SUPABASE_URL).");
  });
});

describe('/admin/schema-sync with store B unreachable', () => {
  let unreachable: TestApiApp;
  beforeAll(async () => {
    unreachable = await startTestApiApp(testConfig({ SUPABASE_DB_URL: 'postgresql://postgres:not-shown@127.0.0.1:1/dw_pipeline_t_nowhere' }));
  });
  afterAll(() => unreachable.close());

  it('answers 503 after the retries, naming the database without its password', async () => {
    const response = await request(unreachable.server).get('/admin/schema-sync').set(asViewer);

    expect(response.status).toBe(503);
    expect(response.body.message).toMatch(/^database postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/dw_pipeline_t_nowhere is unreachable after 4 attempts \(3 retries with backoff\)/);
    expect(JSON.stringify(response.body)).not.toContain('not-shown');
  });
});
