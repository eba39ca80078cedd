import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Pool } from 'pg';
import { Queue } from 'bullmq';
import { SqlMigrationRunner, withDatabase } from '@dualwrite/backup';
import { bullConnection } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import { LedgerActivity, RECONCILE_MIGRATIONS_DIR, Reconciler, RunCoordinator, RunProgressReader, RunWorker, SqlTableReader, type RunProgress } from '@dualwrite/reconcile';
import { UsageError, integerFlag, parseFlags, readCommandLine } from '../cli/args';
import { dropForeignKeys, seedBenchData, type SeededDifference } from './reconcile-seed';

/**
 * `npm run bench:reconcile-workers -- [--rows=400000] [--workers=1,2] [--segment-rows=20000]`: the distributed
 * reconcile (libs/reconcile/src/runs) of `rows` rows of the demo schema with 0.1 % differing rows of mixed kinds
 * (bench:reconcile's seed), run by 1 worker process and then by 2 (each one job at a time), against the in-process
 * Reconciler on the same data; databases of its own (dw_h3_bench_*), dropped at the end. Prints a Markdown table.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const base = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const DATABASES = { a: 'dw_h3_bench_a', b: 'dw_h3_bench_b', control: 'dw_h3_bench_control' };
const PREFIX = 'h3bench';

type Request = { kind: 'help' } | { kind: 'run'; rows: number; workers: number[]; segmentRows: number; worker: boolean; queue?: string };

const USAGE = [
  'usage: npm run bench:reconcile-workers -- [--rows=400000] [--workers=1,2] [--segment-rows=20000]',
  '  seeds two databases of its own with --rows rows of the demo schema (0.1 % differing), then times a distributed',
  '  reconcile run by each number of worker processes in --workers, and the in-process Reconciler; prints a table',
].join('\n');

function parse(argv: string[]): Request {
  const values = parseFlags(argv, {
    rows: { type: 'string', default: '400000' },
    workers: { type: 'string', default: '1,2' },
    'segment-rows': { type: 'string', default: '20000' },
    worker: { type: 'boolean', default: false },
    queue: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return { kind: 'help' };
  const rows = integerFlag('--rows', values.rows);
  if (rows < 4000) throw new UsageError('--rows must be at least 4000 (0.1 % of each table must be a row)');
  const workers = values.workers.split(',').map((text) => integerFlag('--workers', text.trim(), { meaning: 'worker processes' }));
  return { kind: 'run', rows, workers, segmentRows: integerFlag('--segment-rows', values['segment-rows']), worker: values.worker === true, ...(values.queue ? { queue: values.queue } : {}) };
}

const urlOf = (database: string) => withDatabase(base, database);

async function onServer(sql: string): Promise<void> {
  const server = new Pool({ connectionString: urlOf('postgres'), max: 1 });
  await server.query(sql).finally(() => server.end());
}

function openPools(): { a: Pool; b: Pool; control: Pool; end(): Promise<void> } {
  const [a, b, control] = [DATABASES.a, DATABASES.b, DATABASES.control].map((name) => new Pool({ connectionString: urlOf(name), max: 4 }));
  return { a, b, control, end: async () => void (await Promise.all([a.end(), b.end(), control.end()])) };
}

// ---- a worker process ---------------------------------------------------------------------------------------------

async function worker(queueName: string): Promise<void> {
  const pools = openPools();
  const runWorker = new RunWorker({
    entities: exampleEntities,
    control: pools.control,
    queue: { connection: bullConnection(redisUrl), queueName, prefix: PREFIX },
    reconcileSides: { a: new SqlTableReader('a', pools.a), b: new SqlTableReader('b', pools.b) },
    copy: null,
    ledger: new LedgerActivity(pools.control),
    settings: { concurrency: 1 },
  });
  await runWorker.start();
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await runWorker.close();
  await pools.end();
}

function startWorker(queueName: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['tools/run.js', 'tools/src/bench/reconcile-workers.ts', '--worker', `--queue=${queueName}`], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

// ---- the parent ---------------------------------------------------------------------------------------------------

interface Timing {
  label: string;
  wallMs: number;
  findings: { entity: string; key: string; kind: string; field?: string }[];
  workers?: Record<string, number>;
}

async function distributed(pools: ReturnType<typeof openPools>, workers: number, segmentRows: number): Promise<Timing> {
  const queueName = `bench-runs-${Date.now()}`;
  const children = await Promise.all(Array.from({ length: workers }, () => startWorker(queueName)));
  const coordinator = new RunCoordinator({ entities: exampleEntities, control: pools.control, queue: { connection: bullConnection(redisUrl), queueName, prefix: PREFIX }, primarySide: async () => 'a' });
  try {
    const started = performance.now();
    const { runId } = await coordinator.start({ kind: 'reconcile', selection: 'all', options: { segmentRows }, requestedBy: 'bench' });
    let progress: RunProgress | null = null;
    while (progress?.status !== 'completed') {
      progress = await new RunProgressReader(pools.control).progress(runId);
      if (progress?.status === 'failed') throw new Error(`run ${runId} failed: ${progress.error}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const wallMs = Math.round(performance.now() - started);
    const { rows } = await pools.control.query<{ entity: string; entity_id: string; kind: string; field: string | null }>('select entity, entity_id, kind, field from reconcile_findings where run_id = $1', [runId]);
    const { rows: byWorker } = await pools.control.query<{ worker: string; n: number }>('select worker, count(*)::int as n from distributed_run_segments where run_id = $1 group by worker', [runId]);
    return {
      label: `distributed, ${workers} worker process${workers > 1 ? 'es' : ''} (1 job at a time each), ${progress.segments.total} segments`,
      wallMs,
      findings: rows.map((row) => ({ entity: row.entity, key: row.entity_id, kind: row.kind, ...(row.field ? { field: row.field } : {}) })),
      workers: Object.fromEntries(byWorker.map((row) => [row.worker, row.n])),
    };
  } finally {
    await coordinator.close();
    for (const child of children) child.kill('SIGTERM');
    const queue = new Queue(queueName, { connection: bullConnection(redisUrl), prefix: PREFIX });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

async function inProcess(pools: ReturnType<typeof openPools>): Promise<Timing> {
  const started = performance.now();
  const result = await new Reconciler({ entities: exampleEntities, primary: new SqlTableReader('a', pools.a), secondary: new SqlTableReader('b', pools.b), ledger: new LedgerActivity(pools.control) }).run('all');
  return { label: 'in-process Reconciler (one process)', wallMs: Math.round(performance.now() - started), findings: result.entities.flatMap((entity) => entity.findings) };
}

function score(found: Timing['findings'], seeded: SeededDifference[]): string {
  const id = (item: { entity: string; key: string; kind: string; field?: string }) => `${item.entity} ${item.key} ${item.kind} ${item.field ?? ''}`;
  const truth = new Set(seeded.map(id));
  const got = new Set(found.map(id));
  const hits = [...got].filter((item) => truth.has(item)).length;
  return `precision ${got.size ? hits / got.size : 1}, recall ${truth.size ? hits / truth.size : 1}`;
}

async function parent(request: Extract<Request, { kind: 'run' }>): Promise<void> {
  const log = (text: string) => process.stdout.write(`${text}\n`);
  for (const name of Object.values(DATABASES)) {
    await onServer(`drop database if exists "${name}" with (force)`);
    await onServer(`create database "${name}"`);
  }
  for (const name of [DATABASES.a, DATABASES.b]) await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(urlOf(name));
  await new SqlMigrationRunner('platform', path.join(root, 'libs', 'dual-write', 'migrations')).run(urlOf(DATABASES.control));
  await new SqlMigrationRunner('platform', RECONCILE_MIGRATIONS_DIR).run(urlOf(DATABASES.control));
  const pools = openPools();
  try {
    await Promise.all([dropForeignKeys(pools.a), dropForeignKeys(pools.b)]);
    const seeded = await seedBenchData(pools.a, pools.b, request.rows);
    log(`seeded ${request.rows} rows per store, ${seeded.length} differing`);
    const timings: Timing[] = [await inProcess(pools)];
    for (const count of request.workers) timings.push(await distributed(pools, count, request.segmentRows));
    log('');
    log(`rows: ${request.rows} per store (${exampleEntities.length} tables), ${seeded.length} differing (0.1 %); segment jobs of ${request.segmentRows} rows`);
    log('| run | wall ms | findings | segments per worker |');
    log('|---|---|---|---|');
    for (const timing of timings) log(`| ${timing.label} | ${timing.wallMs} | ${timing.findings.length} (${score(timing.findings, seeded)}) | ${timing.workers ? Object.values(timing.workers).join(' / ') : '-'} |`);
  } finally {
    await pools.end();
    for (const name of Object.values(DATABASES)) await onServer(`drop database if exists "${name}" with (force)`);
  }
}

async function main(): Promise<void> {
  const request = readCommandLine(parse, USAGE);
  if (!request) return;
  try {
    if (request.worker) await worker(request.queue ?? 'bench-runs');
    else await parent(request);
  } catch (error) {
    process.stderr.write(`bench:reconcile-workers failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

void main();
