import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { Queue } from 'bullmq';
import { bullConnection } from '@dualwrite/dual-write';
import { eventually } from '@dualwrite/stores/testing';
import type { ReconcileTestDomain, SpecProcess } from '../../../test/reconcile-test-domain';
import { applyReconcileTables } from '../../../test/scratch-databases';
import type { RunQueueSettings } from '../run-queue';

const BASE_URL = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export function databaseUrl(database: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function onServer(sql: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * This suite's databases (dw_h3_<label>_<suffix>_a / _b / _control) and BullMQ queue (prefix h3), dropped at the end.
 * The spec hands in the domain (the test helpers' exampleTestDomain): the control database, the worker
 * processes, and the module a worker on the example domain (RUNS_TEST_DOMAIN=example) loads it from.
 */
export class RunsScratch {
  readonly suffix = randomBytes(4).toString('hex');
  readonly names: { a: string; b: string; control: string };
  readonly queue: RunQueueSettings;
  a!: Pool;
  b!: Pool;
  control!: Pool;
  private readonly processes: SpecProcess[] = [];

  /** `names`: databases created by someone else (e.g. ScratchStores with its endpoint); the default, this suite's own. */
  constructor(label: string, private readonly domain: ReconcileTestDomain, names?: { a: string; b: string; control: string }, queuePrefix = 'h3') {
    this.names = names ?? { a: `dw_h3_${label}_${this.suffix}_a`, b: `dw_h3_${label}_${this.suffix}_b`, control: `dw_h3_${label}_${this.suffix}_control` };
    this.queue = { connection: bullConnection(REDIS_URL), queueName: `runs-${label}-${this.suffix}`, prefix: queuePrefix };
  }

  /** Creates the control database (platform and reconcile tables); store databases too unless `storesExist`. */
  async create(storesExist = false): Promise<void> {
    if (!storesExist) {
      await onServer(`create database "${this.names.a}"`);
      await onServer(`create database "${this.names.b}"`);
    }
    await this.domain.controlDatabase(this.names.control);
    this.control = new Pool({ connectionString: databaseUrl(this.names.control), max: 6 });
    this.a = new Pool({ connectionString: databaseUrl(this.names.a), max: 4 });
    this.b = new Pool({ connectionString: databaseUrl(this.names.b), max: 4 });
    for (const pool of [this.a, this.b, this.control]) pool.on('error', () => undefined);
    await applyReconcileTables(this.control);
  }

  /** Spawns a run worker process (run-worker-process.ts) and waits until it consumes the queue. */
  async startWorker(env: NodeJS.ProcessEnv = {}): Promise<SpecProcess> {
    const worker = this.domain.startEntryProcess('libs/reconcile/src/runs/testing/run-worker-process.ts', {
      RUNS_TEST_CONTROL_URL: databaseUrl(this.names.control),
      RUNS_TEST_A_URL: databaseUrl(this.names.a),
      RUNS_TEST_B_URL: databaseUrl(this.names.b),
      RUNS_TEST_QUEUE: this.queue.queueName,
      RUNS_TEST_PREFIX: this.queue.prefix,
      RUNS_TEST_DOMAIN_MODULE: this.domain.importedAs.module,
      RUNS_TEST_DOMAIN_EXPORT: this.domain.importedAs.name,
      REDIS_URL,
      ...env,
    });
    this.processes.push(worker);
    let exited = false;
    void worker.finished.then(() => (exited = true));
    await eventually(async () => {
      if (exited) throw new Error(`run worker exited: ${(await worker.finished).stderr}`);
      return worker.stdout().includes('run worker ready') ? true : undefined;
    }, 60_000);
    return worker;
  }

  async stopWorkers(): Promise<void> {
    for (const worker of this.processes.splice(0)) {
      worker.kill('SIGTERM');
      const exited = await Promise.race([worker.finished.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000))]);
      if (!exited) worker.kill('SIGKILL');
    }
  }

  async drop(dropStores = true): Promise<void> {
    await this.stopWorkers();
    const queue = new Queue(this.queue.queueName, { connection: this.queue.connection, prefix: this.queue.prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await Promise.allSettled([this.a?.end(), this.b?.end(), this.control?.end()]);
    const names = dropStores ? Object.values(this.names) : [this.names.control];
    for (const name of names) await onServer(`drop database if exists "${name}" with (force)`);
  }
}
