import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Client, Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { KeySync, OperationLedger, bullConnection } from '@dualwrite/dual-write';
import { createPrismaClient, exampleEntities } from '@dualwrite/example-domain';
import { DistributedRunRepository, LedgerActivity, RECONCILE_MIGRATIONS_DIR, RunCoordinator, RunWorker, SqlKeyLister, readForeignKeys } from '@dualwrite/reconcile';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import { eventually, prepareControlDatabase, startEntryProcess, type EntryProcess } from '@dualwrite/testing';
import { runCli } from './testing/run-cli';

const root = path.resolve(__dirname, '..', '..', '..');
const base = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const suffix = randomBytes(4).toString('hex');
const names = { a: `dw_h3_ccli_${suffix}_a`, b: `dw_h3_ccli_${suffix}_b`, control: `dw_h3_ccli_${suffix}_control` };
const queues = { worked: `runs-ccli-${suffix}`, idle: `runs-ccli-idle-${suffix}` };

function urlOf(database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onDatabase(database: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `npm run copy-data -- --distributed`: queued for a RunWorker (here in the spec's process), followed, B equal to A after. */
describe('copy-data --distributed', () => {
  let env: NodeJS.ProcessEnv;
  let endpoint: EntryProcess;
  let control: Pool;
  let poolA: Pool;
  let poolB: Pool;
  let prisma: PrismaStore;
  let supabase: SupabaseStore;
  let worker: RunWorker;

  beforeAll(async () => {
    await onDatabase('postgres', `create database "${names.a}"`);
    await onDatabase('postgres', `create database "${names.b}"`);
    await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(urlOf(names.a));
    await onDatabase(names.b, readFileSync(path.join(root, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8'));
    await new SqlMigrationRunner('supabase', path.join(root, 'supabase', 'migrations')).run(urlOf(names.b));
    await prepareControlDatabase(names.control);
    await new SqlMigrationRunner('platform', RECONCILE_MIGRATIONS_DIR).run(urlOf(names.control));
    await onDatabase(names.a, `insert into users (id, email, display_name) select md5('u' || i)::uuid, 'u' || i || '@copy.test', 'User ' || i from generate_series(1, 120) i`);
    endpoint = startEntryProcess('tools/supabase-local/src/main.ts', { SUPABASE_LOCAL_PORT: '0', SUPABASE_DB_URL: urlOf(names.b) });
    const supabaseUrl = await eventually(async () => /serving (http:\/\/[^\s]+)\/rest\/v1/.exec(endpoint.stdout())?.[1], 30_000);
    [poolA, poolB, control] = [names.a, names.b, names.control].map((name) => new Pool({ connectionString: urlOf(name), max: 4 }));
    prisma = new PrismaStore(createPrismaClient(urlOf(names.a)), { ownsClient: true });
    supabase = new SupabaseStore({ url: supabaseUrl, serviceRoleKey: process.env['SUPABASE_SERVICE_ROLE_KEY'] ?? '', databaseUrl: urlOf(names.b) });
    worker = new RunWorker({
      entities: exampleEntities,
      control,
      queue: { connection: bullConnection(REDIS_URL), queueName: queues.worked, prefix: 'h3' },
      reconcileSides: null,
      copy: {
        a: { store: prisma, keys: new SqlKeyLister(poolA), foreignKeys: () => readForeignKeys(poolA) },
        b: { store: supabase, keys: new SqlKeyLister(poolB, 'public'), foreignKeys: () => readForeignKeys(poolA) },
        keySync: new KeySync({ pool: control, ledger: new OperationLedger(control) }),
      },
      ledger: new LedgerActivity(control),
    });
    await worker.start();
    env = { PRIMARY_DATABASE_URL: urlOf(names.a), SUPABASE_URL: supabaseUrl, SUPABASE_DB_URL: urlOf(names.b), CONTROL_DATABASE_URL: urlOf(names.control), DW_RUNS_PREFIX: 'h3' };
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    for (const name of Object.values(queues)) {
      const queue = new Queue(name, { connection: bullConnection(REDIS_URL), prefix: 'h3' });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await Promise.allSettled([prisma?.close(), supabase?.close(), poolA?.end(), poolB?.end(), control?.end()]);
    if (endpoint) {
      endpoint.kill('SIGTERM');
      await endpoint.finished;
    }
    for (const name of Object.values(names)) await onDatabase('postgres', `drop database if exists "${name}" with (force)`);
  });

  it('queues the copy for the workers at --rate=60, follows it (120 rows: at least 2 s), and leaves store B equal to store A (exit 0)', async () => {
    const result = await runCli('tools/src/cli/copy-data.ts', ['--entity=users', '--distributed', '--chunk-size=50', '--rate=60'], { ...env, DW_RUNS_QUEUE: queues.worked });

    expect(result.stderr).toMatch(/copy [0-9a-f]{8}: 3\/3 segments, 120\/120 rows, 0 keys left/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('users: completed; 3/3 segments, 120 rows');
    expect(Number(/completed in (\d+) ms/.exec(result.stdout)?.[1])).toBeGreaterThanOrEqual(2000);
    const users = exampleEntities.find((entity) => entity.name === 'users');
    if (!users) throw new Error('no users entity');
    const [a, b] = await Promise.all([prisma.checksum(users), supabase.checksum(users)]);
    expect(b).toEqual(a);
    expect(a.count).toBe(120);
  });

  it('while a distributed copy holds an entity, copy-data of it is refused naming the run, in both modes (exit 1)', async () => {
    const coordinator = new RunCoordinator({ entities: exampleEntities, control, queue: { connection: bullConnection(REDIS_URL), queueName: queues.idle, prefix: 'h3' }, primarySide: async () => 'a' });
    const { runId } = await coordinator.start({ kind: 'copy', selection: ['budgets'], requestedBy: 'spec' });
    try {
      const inProcess = await runCli('tools/src/cli/copy-data.ts', ['--entity=budgets', '--method=key-sync'], env);
      expect(inProcess.code).toBe(1);
      expect(inProcess.stderr).toContain(`a copy of budgets is already running: run ${runId}`);

      const distributed = await runCli('tools/src/cli/copy-data.ts', ['--entity=all', '--distributed'], { ...env, DW_RUNS_QUEUE: queues.idle });
      expect(distributed.code).toBe(1);
      expect(distributed.stderr).toContain(`copy-data refused: a copy of budgets is already running: run ${runId}`);
    } finally {
      await new DistributedRunRepository(control).finish(runId, { status: 'failed', error: 'spec over' });
      await coordinator.close();
    }
  });
});
