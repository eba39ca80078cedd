import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { bullConnection } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import { DistributedRunRepository, LedgerActivity, RECONCILE_MIGRATIONS_DIR, RunCoordinator, RunWorker, SqlTableReader } from '@dualwrite/reconcile';
import { dropDatabases, onDatabase, prepareControlDatabase, scratchDatabaseUrl, scratchPool } from '@dualwrite/testing';
import { runCli } from './testing/run-cli';
import { removeRunQueues } from './testing/run-queues';

const root = path.resolve(__dirname, '..', '..', '..');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const suffix = randomBytes(4).toString('hex');
const names = { a: `dw_h3_cli_${suffix}_a`, b: `dw_h3_cli_${suffix}_b`, control: `dw_h3_cli_${suffix}_control` };
const queues = { worked: `runs-cli-${suffix}`, idle: `runs-cli-idle-${suffix}` };

/**
 * `npm run reconcile-data -- --distributed` end to end: the CLI queues the run, a RunWorker (the worker app's, here in
 * the spec's process) executes it, the CLI follows the progress in plain lines and reports as the in-process mode does.
 */
describe('reconcile-data --distributed', () => {
  const env = { PRIMARY_DATABASE_URL: scratchDatabaseUrl(names.a), SUPABASE_DB_URL: scratchDatabaseUrl(names.b), CONTROL_DATABASE_URL: scratchDatabaseUrl(names.control), DW_RUNS_PREFIX: 'h3' };
  let a: Pool;
  let b: Pool;
  let control: Pool;
  let worker: RunWorker;
  let reportDir: string;

  beforeAll(async () => {
    await onDatabase('postgres', `create database "${names.a}"`);
    await onDatabase('postgres', `create database "${names.b}"`);
    await prepareControlDatabase(names.control);
    await new SqlMigrationRunner('platform', RECONCILE_MIGRATIONS_DIR).run(scratchDatabaseUrl(names.control));
    for (const side of [names.a, names.b]) await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(scratchDatabaseUrl(side));
    a = scratchPool(scratchDatabaseUrl(names.a), 2);
    b = scratchPool(scratchDatabaseUrl(names.b), 2);
    control = scratchPool(scratchDatabaseUrl(names.control), 4);
    for (const pool of [a, b]) {
      await pool.query(`insert into users (id, email, display_name, created_at, updated_at)
                        select md5('u' || i)::uuid, 'u' || i || '@cli.test', 'User ' || i, '2026-01-01', '2026-01-01' from generate_series(1, 50) as i`);
    }
    await b.query("update users set display_name = 'Other' where id = md5('u2')::uuid");
    await b.query("delete from users where id = md5('u40')::uuid");
    worker = new RunWorker({
      entities: exampleEntities,
      control,
      queue: { connection: bullConnection(REDIS_URL), queueName: queues.worked, prefix: 'h3' },
      reconcileSides: { a: new SqlTableReader('prisma', a), b: new SqlTableReader('supabase', b) },
      copy: null,
      ledger: new LedgerActivity(control),
    });
    await worker.start();
    reportDir = await mkdtemp(path.join(os.tmpdir(), 'reconcile-distributed-'));
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await removeRunQueues(REDIS_URL, 'h3', Object.values(queues));
    await Promise.allSettled([a?.end(), b?.end(), control?.end()]);
    await dropDatabases(names);
    await rm(reportDir, { recursive: true, force: true });
  });

  it('queues the run for the workers, follows it in plain lines, reports its findings and exits 1 over --max-findings', async () => {
    const result = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=users', '--distributed', '--segment-rows=10', '--report', `--report-dir=${reportDir}`], {
      ...env,
      DW_RUNS_QUEUE: queues.worked,
    });

    expect(result.stderr).toContain('2 findings, more than --max-findings=0');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/run [0-9a-f-]{36} queued on runs-cli-/);
    expect(result.stderr).toMatch(/reconcile [0-9a-f]{8}: 5\/5 segments, 50\/50 rows, 2 findings stored/);
    expect(result.stdout).toContain('users: 50 rows on prisma, 49 on supabase; missing on supabase 1, on prisma 0, differing fields 1');
    const [file] = await readdir(reportDir);
    const report = JSON.parse(await readFile(path.join(reportDir, file as string), 'utf8'));
    expect(report.entities[0].differingFields).toMatchObject([{ field: 'displayName', primary: 'User 2', secondary: 'Other' }]);
    const { rows } = await control.query("select status, findings, summary->'distributed' as distributed from reconcile_runs");
    expect(rows).toEqual([{ status: 'completed', findings: 2, distributed: true }]);
  });

  it('a reconcile of an entity a distributed run holds is refused, naming the run, in both modes (exit 1)', async () => {
    const coordinator = new RunCoordinator({ entities: exampleEntities, control, queue: { connection: bullConnection(REDIS_URL), queueName: queues.idle, prefix: 'h3' }, primarySide: async () => 'a' });
    const { runId } = await coordinator.start({ kind: 'reconcile', selection: ['users'], requestedBy: 'spec' });
    try {
      const distributed = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=all', '--distributed'], { ...env, DW_RUNS_QUEUE: queues.idle });
      expect(distributed.code).toBe(1);
      expect(distributed.stderr).toContain(`reconcile-data refused: a reconcile of users is already running: run ${runId}`);

      const inProcess = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=users'], env);
      expect(inProcess.code).toBe(1);
      expect(inProcess.stderr).toContain(`reconcile-data refused: a reconcile of users is already running: run ${runId}`);
    } finally {
      await new DistributedRunRepository(control).finish(runId, { status: 'failed', error: 'spec over', reconcileSummary: { summary: { entities: [] }, findings: 0 } });
      await coordinator.close();
    }
  });

  it('--segment-rows without --distributed is a usage error', async () => {
    const result = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=users', '--segment-rows=10'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--segment-rows goes with --distributed');
  });
});
