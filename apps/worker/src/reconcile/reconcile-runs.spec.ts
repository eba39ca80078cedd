import { createHash, randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { bullConnection } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import { DistributedRunRepository, RECONCILE_MIGRATIONS_DIR, RunCoordinator, RunProgressReader, parseRunSettings, type RunProgress } from '@dualwrite/reconcile';
import { createStoreDatabases, dropDatabases, eventually, onDatabase, scratchDatabaseUrl, scratchPool } from '@dualwrite/testing';
import { queueEnvironment, removeTestQueues, testPlatformConfig, testQueueNames } from '../testing/worker-test-app';
import { startWorkerProcess } from '../testing/worker-process';
import { WorkerModule } from '../worker.module';
import { NIGHTLY_RECONCILE_JOB, ReconcileScheduleService } from './reconcile-schedule.service';

const REDIS_URL = process.env['REDIS_URL'] as string;
const suffix = randomBytes(4).toString('hex');
const names = { a: `dw_h3_wrk_${suffix}_a`, b: `dw_h3_wrk_${suffix}_b`, control: `dw_h3_wrk_${suffix}_control` };
const urlOf = scratchDatabaseUrl;
const runsQueue = `runs-worker-${suffix}`;

/** md5(text)::uuid, as the seed computes keys. */
function uuidOf(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const SEED_USERS = `insert into users (id, email, display_name, created_at, updated_at)
  select md5('user' || n)::uuid, 'user' || n || '@runs.test', 'User ' || n, '2026-01-01Z', '2026-01-01Z' from generate_series(1, 40) n`;

async function startWorker(env: Record<string, string>): Promise<INestApplicationContext> {
  const queues = testQueueNames('runs');
  const config = testPlatformConfig(urlOf(names.control), { ...queueEnvironment(queues), PRIMARY_DATABASE_URL: urlOf(names.a), SUPABASE_DB_URL: urlOf(names.b) });
  const app = await NestFactory.createApplicationContext(
    WorkerModule.forRoot({ config, entities: exampleEntities, runSettings: parseRunSettings({ DW_RUNS_QUEUE: runsQueue, DW_RUNS_PREFIX: 'h3', ...env }) }),
    { logger: ['error'] },
  );
  const close = app.close.bind(app);
  return Object.assign(app, { close: async () => (await close(), await removeTestQueues(queues)) });
}

describe('distributed runs in the worker: the run queue consumer and the nightly reconcile (real PostgreSQL, Redis, BullMQ)', () => {
  let control: Pool;
  let app: INestApplicationContext;

  beforeAll(async () => {
    await createStoreDatabases(names, [RECONCILE_MIGRATIONS_DIR]);
    await onDatabase(names.a, SEED_USERS);
    await onDatabase(names.b, SEED_USERS);
    await onDatabase(names.b, `update users set display_name = 'Drifted' where id = md5('user7')::uuid`);
    control = scratchPool(urlOf(names.control), 2);
    app = await startWorker({ RECONCILE_CRON: '15 2 * * *', RECONCILE_CRON_ENTITIES: 'users,budgets', RECONCILE_SEGMENT_ROWS: '10' });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    const queue = new Queue(runsQueue, { connection: bullConnection(REDIS_URL), prefix: 'h3' });
    await queue.obliterate({ force: true });
    await queue.close();
    await control?.end();
    await dropDatabases(names);
  });

  it('schedules the nightly reconcile at RECONCILE_CRON, and a tick starts a run the worker executes to the end', async () => {
    expect(app.get(SchedulerRegistry).getCronJob(NIGHTLY_RECONCILE_JOB).cronTime.source).toBe('15 2 * * *');

    const started = await app.get(ReconcileScheduleService).tick();

    expect(started).toMatchObject({ kind: 'reconcile', entities: ['users', 'budgets'] });
    const progress = await eventually(async () => {
      const read = await new RunProgressReader(control).progress(started?.runId as string);
      return read && read.status !== 'running' ? read : undefined;
    }, 60_000);
    expect(progress).toMatchObject<Partial<RunProgress>>({ status: 'completed', requestedBy: 'schedule', findings: 1, segments: { done: 5, failed: 0, total: 5 } });
    const { rows } = await control.query('select entity_id, field, primary_value, secondary_value from reconcile_findings where run_id = $1', [started?.runId]);
    expect(rows).toEqual([{ entity_id: uuidOf('user7'), field: 'displayName', primary_value: 'User 7', secondary_value: 'Drifted' }]);
  });

  it('a tick while a reconcile of its entities runs starts nothing and logs the refusal naming the running run', async () => {
    // A run on a queue no worker consumes stays running.
    const elsewhere = new RunCoordinator({ entities: exampleEntities, control, queue: { connection: bullConnection(REDIS_URL), queueName: `${runsQueue}-idle`, prefix: 'h3' }, primarySide: async () => 'a' });
    const blocking = await elsewhere.start({ kind: 'reconcile', selection: ['budgets'], requestedBy: 'spec' });
    const schedule = app.get(ReconcileScheduleService);
    const warnings: string[] = [];
    const logger = (schedule as unknown as { logger: { warn: (message: string) => void } }).logger;
    const warn = jest.spyOn(logger, 'warn').mockImplementation((message: string) => void warnings.push(message));
    try {
      expect(await schedule.tick()).toBeNull();
      expect(warnings).toEqual([expect.stringContaining(`nightly reconcile not started: a reconcile of budgets is already running: run ${blocking.runId}`)]);
      const { rows } = await control.query<{ n: number }>("select count(*)::int as n from distributed_runs where status = 'running'");
      expect(rows[0]?.n).toBe(1);
    } finally {
      warn.mockRestore();
      await new DistributedRunRepository(control).finish(blocking.runId, { status: 'failed', error: 'spec over', reconcileSummary: { summary: { entities: [] }, findings: 0 } });
      const idle = new Queue(`${runsQueue}-idle`, { connection: bullConnection(REDIS_URL), prefix: 'h3' });
      await idle.obliterate({ force: true });
      await idle.close();
      await elsewhere.close();
    }
  });

  it('RECONCILE_CRON=off schedules no nightly reconcile; a malformed expression is refused naming the variable', async () => {
    const off = await startWorker({ RECONCILE_CRON: 'off' });
    try {
      expect(off.get(SchedulerRegistry).doesExist('cron', NIGHTLY_RECONCILE_JOB)).toBe(false);
    } finally {
      await off.close();
    }
    expect(() => parseRunSettings({ RECONCILE_CRON: 'nightly' })).toThrow('Invalid configuration: RECONCILE_CRON must be a cron expression of 5 or 6 fields, or off, got "nightly"');
    const exited = await startWorkerProcess({ RECONCILE_CRON: 'at three' }).finished;
    expect(exited.code).toBe(78);
    expect(exited.stderr.trim()).toBe('Invalid configuration: RECONCILE_CRON must be a cron expression of 5 or 6 fields, or off, got "at three"');
    expect(parseRunSettings({})).toMatchObject({ queueName: 'dw-runs', prefix: 'bull', reconcileCron: '0 3 * * *', reconcileCronEntities: 'all', reconcileSegmentRows: 50_000 });
  });
});
