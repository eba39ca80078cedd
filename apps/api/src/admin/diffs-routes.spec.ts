import { Pool } from 'pg';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { DiffRepository, type DiffRecord } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { adminTokenFor, bearer, testConfig } from '../testing/test-config';
import { API_TEST_CONTROL_DATABASE, startTestApiApp, type TestApiApp } from '../testing/test-api-app';

const config = testConfig();
const asViewer = bearer(adminTokenFor(config, 'viewer'));
const asOperator = bearer(adminTokenFor(config, 'operator'));
const runId = uuidv7();
/** Every diff of this run is on an endpoint of its own, so other rows in the database never interfere. */
const endpoint = `/admin-spec/${runId}`;
const DAY_MS = 86_400_000;
let api: TestApiApp;
let pool: Pool;

function diff(severity: DiffRecord['severity'], ageDays: number, entity = 'users'): DiffRecord {
  return {
    diffId: uuidv7(),
    apiEndpoint: endpoint,
    entity,
    entityId: uuidv7(),
    operation: 'read',
    severity,
    differences: [{ path: '$.displayName', field: 'displayName', kind: 'changed', primary: 'A', secondary: 'B' }],
    primaryStore: 'prisma',
    secondaryStore: 'supabase',
    primaryLatencyMs: 3,
    secondaryLatencyMs: 5,
    seenAt: new Date(Date.now() - ageDays * DAY_MS).toISOString(),
  };
}

const oldInfo = diff('info', 40);
const oldWarning = diff('warning', 40);
const oldError = diff('error', 40);
const recentInfo = diff('info', 0, 'posts');
const recentWarning = diff('warning', 0);

beforeAll(async () => {
  pool = new Pool({ connectionString: await prepareControlDatabase(API_TEST_CONTROL_DATABASE), max: 2 });
  await new DiffRepository(pool).insertBatch([oldInfo, oldWarning, oldError, recentInfo, recentWarning]);
  api = await startTestApiApp(config);
});

afterAll(async () => {
  await pool.query('delete from dual_write_diffs where api_endpoint = $1', [endpoint]);
  await Promise.all([api.close(), pool.end()]);
});

async function diffIdsOnEndpoint(query = ''): Promise<string[]> {
  const response = await request(api.server).get(`/admin/diffs?endpoint=${encodeURIComponent(endpoint)}&${query}`).set(asViewer);
  expect(response.status).toBe(200);
  return response.body.diffs.map((row: { diffId: string }) => row.diffId);
}

describe('GET /admin/diffs/stats', () => {
  it('counts the last 7 days by endpoint and severity', async () => {
    const response = await request(api.server).get('/admin/diffs/stats?days=7').set(asViewer);

    expect(response.status).toBe(200);
    expect(response.body.days).toBe(7);
    const mine = response.body.byEndpoint.filter((row: { apiEndpoint: string }) => row.apiEndpoint === endpoint);
    expect(mine).toEqual([
      { apiEndpoint: endpoint, severity: 'info', count: 1, unresolved: 1, lastSeenAt: expect.any(String) },
      { apiEndpoint: endpoint, severity: 'warning', count: 1, unresolved: 1, lastSeenAt: expect.any(String) },
    ]);
    expect(response.body.totals).toEqual({ info: expect.any(Number), warning: expect.any(Number), error: expect.any(Number) });
  });

  it('refuses days that is not a number with 400 naming days', async () => {
    const response = await request(api.server).get('/admin/diffs/stats?days=week').set(asViewer);

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'days', message: 'must be an integer from 1 to 3650' }]);
  });
});

describe('GET /admin/diffs', () => {
  it('lists the diffs of an endpoint newest first', async () => {
    expect(await diffIdsOnEndpoint()).toEqual([recentWarning, recentInfo, oldError, oldWarning, oldInfo].map((row) => row.diffId));
  });

  it('filters by severity, entity and unresolved', async () => {
    expect(await diffIdsOnEndpoint('severity=warning')).toEqual([recentWarning.diffId, oldWarning.diffId]);
    expect(await diffIdsOnEndpoint('entity=posts')).toEqual([recentInfo.diffId]);
    expect(await diffIdsOnEndpoint('unresolved=true')).toHaveLength(5);
  });

  it('pages by id: nextBefore leads to the next older page and is null on the last', async () => {
    const pages: string[][] = [];
    let before: number | null = null;
    do {
      const query: string = `/admin/diffs?endpoint=${encodeURIComponent(endpoint)}&limit=2${before === null ? '' : `&before=${before}`}`;
      const response = await request(api.server).get(query).set(asViewer);
      pages.push(response.body.diffs.map((row: { diffId: string }) => row.diffId));
      before = response.body.nextBefore;
    } while (before !== null && pages.length < 10);

    expect(pages).toEqual([
      [recentWarning.diffId, recentInfo.diffId],
      [oldError.diffId, oldWarning.diffId],
      [oldInfo.diffId],
    ]);
  });

  it('refuses an unknown severity and a limit out of range with 400 naming both', async () => {
    const response = await request(api.server).get('/admin/diffs?severity=fatal&limit=0').set(asViewer);

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([
      { path: 'severity', message: 'must be one of info, warning, error' },
      { path: 'limit', message: 'must be an integer from 1 to 500' },
    ]);
  });
});

describe('POST /admin/diffs/cleanup', () => {
  it('refuses a viewer with 403', async () => {
    const response = await request(api.server).post('/admin/diffs/cleanup').set(asViewer).send({ days: 30 });

    expect(response.status).toBe(403);
    expect(await diffIdsOnEndpoint()).toHaveLength(5);
  });

  it('refuses a body without days with 400 naming days', async () => {
    const response = await request(api.server).post('/admin/diffs/cleanup').set(asOperator).send({});

    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([{ path: 'days', message: expect.stringContaining('is required') }]);
  });

  it('as operator deletes info diffs older than N days and keeps warning and error diffs', async () => {
    const response = await request(api.server).post('/admin/diffs/cleanup').set(asOperator).send({ days: 30 });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ days: 30, deleted: expect.any(Number) });
    expect(response.body.deleted).toBeGreaterThanOrEqual(1);
    expect(await diffIdsOnEndpoint()).toEqual([recentWarning, recentInfo, oldError, oldWarning].map((row) => row.diffId));
  });
});
