import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { BackupJobQueue, SqlMigrationRunner, type BackupJobView } from '@dualwrite/backup';
import { bullConnection } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { eventually, removeTestQueues, startWorkerApp, testQueueNames } from '../testing/worker-test-app';
import { BackupScheduleService } from './backup-schedule.service';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const BASE = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

function urlOf(database: string): string {
  const url = new URL(BASE);
  url.pathname = `/${database}`;
  return url.toString();
}

async function sql(url: string, text: string, values: unknown[] = []): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

describe('backup jobs in the worker (BullMQ on Redis, real PostgreSQL)', () => {
  const queues = testQueueNames('backups');
  const backupQueue = `dw-backups-test-${uuidv7()}`;
  const source = 'dw_backup_t_worker_src';
  let storage: string;
  let app: INestApplicationContext;
  let jobs: BackupJobQueue;

  async function finished(jobId: string): Promise<BackupJobView> {
    return eventually(async () => {
      const view = await jobs.view(jobId);
      return view && (view.state === 'completed' || view.state === 'failed') ? view : undefined;
    }, 60_000);
  }

  beforeAll(async () => {
    await sql(urlOf('postgres'), `drop database if exists "${source}" with (force)`);
    await sql(urlOf('postgres'), `create database "${source}"`);
    await new SqlMigrationRunner('prisma', path.join(ROOT, 'prisma', 'migrations')).run(urlOf(source));
    await sql(urlOf(source), `insert into users (id, email, display_name) select gen_random_uuid(), 'worker-' || i || '@example.test', 'User ' || i from generate_series(1, 50) i`);
    storage = await mkdtemp(path.join(tmpdir(), 'dw-backup-worker-'));
    const controlDatabaseUrl = await prepareControlDatabase('dw_backup_t_worker_ctl');
    app = await startWorkerApp({
      controlDatabaseUrl,
      settings: queues,
      env: {
        PRIMARY_DATABASE_URL: urlOf(source),
        BACKUP_STORAGE_PATH: storage,
        DW_BACKUP_QUEUE: backupQueue,
        BACKUP_STORES: 'a',
        BACKUP_FULL_CRON: '0 2 * * *',
        BACKUP_INCREMENTAL_CRON: '15 * * * *',
        BACKUP_DRILL_CRON: 'off',
      },
    });
    jobs = new BackupJobQueue(backupQueue, bullConnection(process.env['REDIS_URL'] as string));
  });

  afterAll(async () => {
    await app.close();
    await jobs.obliterate();
    await jobs.close();
    await removeTestQueues(queues);
    await rm(storage, { recursive: true, force: true });
    await sql(urlOf('postgres'), `drop database if exists "${source}" with (force)`);
  });

  it('runs a queued full backup to completion with its progress, then a drill of the newest backup', async () => {
    const { jobId } = await jobs.enqueue({ operation: 'backup', store: 'a', kind: 'full', requestedBy: 'spec' });
    const backup = await finished(jobId);
    expect(backup).toMatchObject({ state: 'completed', progress: { phase: 'done', percent: 100 }, result: { kind: 'full', store: 'a', totalRows: 50 } });

    const drill = await finished((await jobs.enqueue({ operation: 'drill', store: 'a', requestedBy: 'spec' })).jobId);
    expect(drill).toMatchObject({ state: 'completed', result: { ok: true, id: (backup.result as { id: string }).id } });
  });

  it('fails a job naming the unknown backup it was given', async () => {
    const view = await finished((await jobs.enqueue({ operation: 'validate', id: '20991231T000000000Z-full-a-0000', requestedBy: 'spec' })).jobId);
    expect(view).toMatchObject({ state: 'failed', failedReason: expect.stringContaining('Unknown backup id 20991231T000000000Z-full-a-0000') });
  });

  it('schedules the configured crons, and a full-backup tick queues a backup per store followed by retention', async () => {
    const registry = app.get(SchedulerRegistry);
    expect(registry.getCronJob('backup-full').cronTime.source).toBe('0 2 * * *');
    expect(registry.getCronJob('backup-incremental').cronTime.source).toBe('15 * * * *');
    expect(registry.doesExist('cron', 'backup-drill')).toBe(false);

    const [backupJob, retentionJob] = await app.get(BackupScheduleService).fullBackups();
    expect(await finished(backupJob)).toMatchObject({ state: 'completed', operation: 'backup' });
    expect(await finished(retentionJob)).toMatchObject({ state: 'completed', operation: 'retention', result: { removed: [] } });
  });
});
