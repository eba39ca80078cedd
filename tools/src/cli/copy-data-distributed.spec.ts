import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { KeySync, OperationLedger, bullConnection } from '@dualwrite/dual-write';
import { createPrismaClient, exampleEntities } from '@dualwrite/example-domain';
import { DistributedRunRepository, LedgerActivity, RECONCILE_MIGRATIONS_DIR, RunCoordinator, RunWorker, SqlKeyLister, readForeignKeys } from '@dualwrite/reconcile';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import { createStoreDatabases, dropDatabases, type EntryProcess, onDatabase, scratchDatabaseUrl, scratchPool, startSupabaseLocal, stopSupabaseLocal } from '@dualwrite/testing';
import { runCli } from './testing/run-cli';
import { removeRunQueues } from './testing/run-queues';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const suffix = randomBytes(4).toString('hex');
const names = { a: `dw_h3_ccli_${suffix}_a`, b: `dw_h3_ccli_${suffix}_b`, control: `dw_h3_ccli_${suffix}_control` };
const queues = { worked: `runs-ccli-${suffix}`, idle: `runs-ccli-idle-${suffix}` };

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
    await createStoreDatabases(names, [RECONCILE_MIGRATIONS_DIR]);
    await onDatabase(names.a, `insert into users (id, email, display_name) select md5('u' || i)::uuid, 'u' || i || '@copy.test', 'User ' || i from generate_series(1, 120) i`);
    const { endpoint: started, url: supabaseUrl } = await startSupabaseLocal(scratchDatabaseUrl(names.b));
    endpoint = started;
    [poolA, poolB, control] = [names.a, names.b, names.control].map((name) => scratchPool(scratchDatabaseUrl(name), 4));
    prisma = new PrismaStore(createPrismaClient(scratchDatabaseUrl(names.a)), { ownsClient: true });
    supabase = new SupabaseStore({ url: supabaseUrl, serviceRoleKey: process.env['SUPABASE_SERVICE_ROLE_KEY'] ?? '', databaseUrl: scratchDatabaseUrl(names.b) });
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
    env = { PRIMARY_DATABASE_URL: scratchDatabaseUrl(names.a), SUPABASE_URL: supabaseUrl, SUPABASE_DB_URL: scratchDatabaseUrl(names.b), CONTROL_DATABASE_URL: scratchDatabaseUrl(names.control), DW_RUNS_PREFIX: 'h3' };
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await removeRunQueues(REDIS_URL, 'h3', Object.values(queues));
    await Promise.allSettled([prisma?.close(), supabase?.close(), poolA?.end(), poolB?.end(), control?.end()]);
    await stopSupabaseLocal(endpoint);
    await dropDatabases(names);
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
