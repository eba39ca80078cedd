import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { BackupService, SqlMigrationRunner, openBackupWorker, type BackupJobData } from '@dualwrite/backup';
import { bullConnection } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import type { Worker } from 'bullmq';
import { DEGRADED_ENV, adminTokenFor, bearer, testConfig } from '../../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../../testing/test-api-app';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
const BASE = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const SOURCE = 'dw_backup_t_api_src';

function urlOf(database: string): string {
  const url = new URL(BASE);
  url.pathname = `/${database}`;
  return url.toString();
}

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe('/admin/backups', () => {
  const queue = `dw-backups-api-${uuidv7()}`;
  let storage: string;
  let api: TestApiApp;
  let worker: Worker<BackupJobData>;
  let workerBackups: BackupService;
  let viewer: Record<string, string>;
  let operator: Record<string, string>;
  let admin: Record<string, string>;

  async function finishedJob(jobId: string): Promise<{ state: string; progress: { percent: number } | null; result: Record<string, unknown> | null; failedReason: string | null }> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await request(api.server).get(`/admin/backups/jobs/${jobId}`).set(viewer);
      expect(response.status).toBe(200);
      if (response.body.state === 'completed' || response.body.state === 'failed') return response.body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${response.body.state}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    await sql(urlOf('postgres'), `drop database if exists "${SOURCE}" with (force)`);
    await sql(urlOf('postgres'), `create database "${SOURCE}"`);
    await new SqlMigrationRunner('prisma', path.join(ROOT, 'prisma', 'migrations')).run(urlOf(SOURCE));
    await sql(urlOf(SOURCE), `insert into users (id, email, display_name) select gen_random_uuid(), 'api-' || i || '@example.test', 'User ' || i from generate_series(1, 30) i`);
    storage = await mkdtemp(path.join(tmpdir(), 'dw-backup-api-'));
    // With a password in the URL (the local server trusts any): no response may carry it.
    const withPassword = new URL(urlOf(SOURCE));
    withPassword.password = 'sekret-password';
    const settings = testConfig({ ...DEGRADED_ENV, PRIMARY_DATABASE_URL: withPassword.toString(), BACKUP_STORAGE_PATH: storage, DW_BACKUP_QUEUE: queue });
    api = await startTestApiApp(settings);
    viewer = bearer(adminTokenFor(settings, 'viewer'));
    operator = bearer(adminTokenFor(settings, 'operator'));
    admin = bearer(adminTokenFor(settings, 'admin'));
    // The worker's consumer of the same queue, in this process (apps/worker runs the same openBackupWorker).
    workerBackups = new BackupService({ storagePath: storage, controlDatabaseUrl: urlOf('dw_control_api_spec'), entities: exampleEntities, sources: { a: { databaseUrl: urlOf(SOURCE) } } });
    worker = openBackupWorker(queue, bullConnection(settings.redisUrl), workerBackups);
  });

  afterAll(async () => {
    await worker.close();
    await workerBackups.close();
    await api.close();
    await rm(storage, { recursive: true, force: true });
    await sql(urlOf('postgres'), `drop database if exists "${SOURCE}" with (force)`);
  });

  it('queues a backup for an operator (202 with a job id), whose progress and result the job route shows; a viewer may not', async () => {
    expect((await request(api.server).post('/admin/backups').set(viewer).send({ store: 'a' })).status).toBe(403);
    const created = await request(api.server).post('/admin/backups').set(operator).send({ store: 'a', kind: 'full' });
    expect(created.status).toBe(202);
    expect(created.body.statusUrl).toBe(`/admin/backups/jobs/${created.body.jobId}`);
    const job = await finishedJob(created.body.jobId);
    expect(job).toMatchObject({ state: 'completed', progress: { percent: 100 }, result: { kind: 'full', totalRows: 30 } });

    const list = await request(api.server).get('/admin/backups?store=a&status=complete').set(viewer);
    expect(list.body.map((row: { id: string }) => row.id)).toContain(job.result?.['id']);
    const one = await request(api.server).get(`/admin/backups/${job.result?.['id']}`).set(viewer);
    expect(one.body.manifest.tables.find((table: { table: string }) => table.table === 'users').rowCount).toBe(30);
  });

  it('validates, drills, dry-runs and restores a backup; a restore needs the id repeated in "confirm" and an admin', async () => {
    const [latest] = (await request(api.server).get('/admin/backups?status=complete').set(viewer)).body as { id: string }[];
    expect((await request(api.server).post(`/admin/backups/${latest.id}/validate`).set(operator)).body).toMatchObject({ ok: true, firstBadFile: null });

    const drill = await request(api.server).post(`/admin/backups/${latest.id}/drill`).set(operator);
    expect(await finishedJob(drill.body.jobId)).toMatchObject({ state: 'completed', result: { ok: true } });

    const dry = await request(api.server).post(`/admin/backups/${latest.id}/restore`).set(admin).send({ dryRun: true });
    expect(dry.status).toBe(202);
    expect(dry.body).toMatchObject({ dryRun: true, mode: 'replace', schemaMatches: true });
    expect(dry.body.target).toBe('postgresql://postgres:***@127.0.0.1:5432/dw_backup_t_api_src');
    expect(JSON.stringify(dry.body)).not.toContain('sekret');

    expect((await request(api.server).post(`/admin/backups/${latest.id}/restore`).set(operator).send({ confirm: latest.id })).status).toBe(403);
    const unconfirmed = await request(api.server).post(`/admin/backups/${latest.id}/restore`).set(admin).send({});
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.message).toContain(`send "confirm": "${latest.id}"`);

    await sql(urlOf(SOURCE), `delete from users where email like 'api-1%'`);
    const restore = await request(api.server).post(`/admin/backups/${latest.id}/restore`).set(admin).send({ confirm: latest.id });
    expect(restore.status).toBe(202);
    expect(await finishedJob(restore.body.jobId)).toMatchObject({ state: 'completed', result: { verified: 'counts', rowsRestored: 30 } });
  });

  it('refuses a restore into a store whose tables differ (409 naming the column) unless forced', async () => {
    const [latest] = (await request(api.server).get('/admin/backups?status=complete').set(viewer)).body as { id: string }[];
    await sql(urlOf(SOURCE), 'alter table posts add column subtitle text');
    try {
      const refused = await request(api.server).post(`/admin/backups/${latest.id}/restore`).set(admin).send({ confirm: latest.id });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain('posts.subtitle is not in the backup');
      const forced = await request(api.server).post(`/admin/backups/${latest.id}/restore`).set(admin).send({ confirm: latest.id, force: true });
      expect(await finishedJob(forced.body.jobId)).toMatchObject({ state: 'completed', result: { forced: true } });
    } finally {
      await sql(urlOf(SOURCE), 'alter table posts drop column subtitle');
    }
  });

  it('answers 404 for an unknown backup and job, 400 naming a bad field', async () => {
    expect((await request(api.server).get('/admin/backups/20991231T000000000Z-full-a-0000').set(viewer)).status).toBe(404);
    expect((await request(api.server).get('/admin/backups/jobs/999999999').set(viewer)).status).toBe(404);
    const bad = await request(api.server).post('/admin/backups').set(operator).send({ store: 'c' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('store');
  });

  it('deletes a backup for an admin who repeats its id', async () => {
    const [latest] = (await request(api.server).get('/admin/backups?status=complete').set(viewer)).body as { id: string }[];
    expect((await request(api.server).delete(`/admin/backups/${latest.id}`).set(admin).send({ confirm: 'nope' })).status).toBe(400);
    const deleted = await request(api.server).delete(`/admin/backups/${latest.id}`).set(admin).send({ confirm: latest.id });
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toEqual([latest.id]);
    expect((await request(api.server).get(`/admin/backups/${latest.id}`).set(viewer)).status).toBe(404);
  });

  it('are in the OpenAPI document with bearer auth and the restore body', async () => {
    const paths = (await request(api.server).get('/admin/docs-json')).body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/admin/backups', '/admin/backups/jobs/{jobId}', '/admin/backups/{id}', '/admin/backups/{id}/validate', '/admin/backups/{id}/drill', '/admin/backups/{id}/restore']),
    );
    expect(paths['/admin/backups/{id}/restore'].post.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(paths['/admin/backups/{id}/restore'].post.requestBody.content['application/json'].schema.properties)).toEqual(['target', 'force', 'dryRun', 'confirm']);
  });
});
