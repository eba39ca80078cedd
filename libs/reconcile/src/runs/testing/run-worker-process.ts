// A worker process of the run queue for the runs specs (spawned with tools/run.js, killed with SIGKILL on purpose):
// a RunWorker over the suite's scratch databases, configured by RUNS_TEST_* variables. Prints "run worker ready".
// RUNS_TEST_DOMAIN: "drift" (this lib's drift_items table, reconcile only) or "example" (copy too, on the domain the
// spec handed RunsScratch, loaded from RUNS_TEST_DOMAIN_MODULE's export RUNS_TEST_DOMAIN_EXPORT: this lib's code may
// not import the example domain).
import { Pool } from 'pg';
import { KeySync, OperationLedger, bullConnection } from '@dualwrite/dual-write';
import { PrismaStore, SupabaseStore, type EntityDefinition } from '@dualwrite/stores';
import { driftItems } from '../../../test/drift-fixture';
import { loadWorkerTestDomain } from '../../../test/reconcile-test-domain';
import { SqlKeyLister } from '../../copy/key-lister';
import { readForeignKeys } from '../../copy/table-order';
import { LedgerActivity } from '../../ledger-activity';
import { SqlTableReader } from '../../sql-table-reader';
import { RunWorker, type RunWorkerDependencies } from '../run-worker';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const delayMs = Number(process.env['RUNS_TEST_DELAY_MS'] ?? '0');
const pause = () => new Promise((resolve) => setTimeout(resolve, delayMs));

/** Each call waits `delayMs` first, so a run lasts long enough to be killed in the middle. */
function slowed<T extends object>(target: T, ...methods: (keyof T)[]): T {
  for (const method of methods) {
    const original = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
    Object.assign(target, { [method]: async (...args: unknown[]) => (await pause(), original.apply(target, args)) });
  }
  return target;
}

/** A pool whose `connect` waits `delayMs` first (a streamed chunk takes one target connection). */
function slowConnect(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'connect') return async () => (await pause(), target.connect());
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function main(): Promise<void> {
  const control = new Pool({ connectionString: env('RUNS_TEST_CONTROL_URL'), max: 6 });
  const poolA = new Pool({ connectionString: env('RUNS_TEST_A_URL'), max: 4 });
  const poolB = new Pool({ connectionString: env('RUNS_TEST_B_URL'), max: 4 });
  const domain = process.env['RUNS_TEST_DOMAIN'] ?? 'drift';
  const given = domain === 'example' ? await loadWorkerTestDomain(env('RUNS_TEST_DOMAIN_MODULE'), env('RUNS_TEST_DOMAIN_EXPORT')) : null;
  const entities: EntityDefinition[] = given?.entities ?? [driftItems];
  const closers: (() => Promise<unknown>)[] = [() => control.end(), () => poolA.end(), () => poolB.end()];
  let copy: RunWorkerDependencies['copy'] = null;
  if (given) {
    const prisma = new PrismaStore(given.prismaClient(env('RUNS_TEST_A_URL')), { ownsClient: true });
    const supabase = new SupabaseStore({ url: env('RUNS_TEST_SUPABASE_URL'), serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY'), databaseUrl: env('RUNS_TEST_B_URL') });
    closers.push(() => prisma.close(), () => supabase.close());
    copy = {
      a: { store: prisma, keys: slowed(new SqlKeyLister(poolA), 'keys'), foreignKeys: () => readForeignKeys(poolA) },
      b: { store: supabase, keys: new SqlKeyLister(poolB, 'public'), foreignKeys: () => readForeignKeys(poolA) },
      keySync: new KeySync({ pool: control, ledger: new OperationLedger(control) }),
      ...(process.env['RUNS_TEST_STREAM'] === 'true' ? { stream: { a: { pool: poolA }, b: { pool: slowConnect(poolB), schema: 'public' } } } : {}),
    };
  }
  const worker = new RunWorker({
    entities,
    control,
    queue: { connection: bullConnection(env('REDIS_URL')), queueName: env('RUNS_TEST_QUEUE'), prefix: env('RUNS_TEST_PREFIX') },
    reconcileSides: { a: slowed(new SqlTableReader('store_a', poolA), 'count', 'checksum', 'segmentChecksums'), b: new SqlTableReader('store_b', poolB) },
    copy,
    ledger: new LedgerActivity(control),
    settings: { concurrency: Number(process.env['RUNS_TEST_CONCURRENCY'] ?? '2'), lockDuration: 3000, stalledInterval: 1000, maxStalledCount: 5 },
    log: (message) => process.stdout.write(`${message}\n`),
  });
  await worker.start();
  process.stdout.write(`run worker ready ${process.pid}\n`);
  process.once('SIGTERM', () => {
    void worker
      .close()
      .then(() => Promise.allSettled(closers.map((close) => close())))
      .finally(() => process.exit(0));
  });
}

main().catch((error: Error) => {
  process.stderr.write(`run worker failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
