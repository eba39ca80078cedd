import { execFile } from 'node:child_process';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { exampleEntities } from '@dualwrite/example-domain';
import { Reconciler, SqlTableReader, compareKeys, keyText } from '@dualwrite/reconcile';
import { compareResults, primaryKeyOf, type EntityDefinition, type Row } from '@dualwrite/stores';
import { UsageError, integerFlag, parseFlags, readCommandLine } from '../cli/args';
import { dropForeignKeys, seedBenchData, type SeededDifference } from './reconcile-seed';

/**
 * `npm run bench:reconcile -- [--rows=1000000]`: reconciliation of `rows` rows of the demo schema with 0.1 %
 * differing rows of mixed kinds, in two databases of its own (dropped at the end), measured side by side in one run:
 * the sum of `count(*)` over every table on both stores; the reconciler (segment checksums in the databases,
 * bisection); and streaming every row of both stores through Node and comparing them. Each measurement runs in a
 * child process of its own, so its peak RSS is its own.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const base = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const DATABASES = { a: 'dw_reconcile_bench_a', b: 'dw_reconcile_bench_b' };
const MODES = ['count', 'reconcile', 'stream'] as const;
type Mode = (typeof MODES)[number];

type Request =
  | { kind: 'help' }
  | { kind: 'run'; rows: number; mode?: Mode; splitFactor: number; rowCompareLimit: number; maxSplitParts: number; entityConcurrency: number };

const USAGE = [
  'usage: npm run bench:reconcile -- [--rows=1000000] [--row-compare-limit=40] [--max-split-parts=65536] [--split-factor=16] [--entity-concurrency=2]',
  '  seeds two databases of its own with --rows rows of the demo schema (0.1 % differing), then measures count(*),',
  '  the reconciler and a full stream through Node side by side; prints a Markdown table',
].join('\n');

function parse(argv: string[]): Request {
  const values = parseFlags(argv, {
    rows: { type: 'string', default: '1000000' },
    mode: { type: 'string' },
    'split-factor': { type: 'string', default: '16' },
    'row-compare-limit': { type: 'string', default: '40' },
    'max-split-parts': { type: 'string', default: '65536' },
    'entity-concurrency': { type: 'string', default: '2' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return { kind: 'help' };
  const mode = values.mode as Mode | undefined;
  if (mode !== undefined && !MODES.includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join('|')}`);
  const rows = integerFlag('--rows', values.rows);
  if (rows < 4000) throw new UsageError('--rows must be at least 4000 (0.1 % of each table must be a row)');
  return {
    kind: 'run',
    rows,
    splitFactor: integerFlag('--split-factor', values['split-factor']),
    rowCompareLimit: integerFlag('--row-compare-limit', values['row-compare-limit']),
    maxSplitParts: integerFlag('--max-split-parts', values['max-split-parts']),
    entityConcurrency: integerFlag('--entity-concurrency', values['entity-concurrency']),
    ...(mode ? { mode } : {}),
  };
}

function urlOf(database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

function pools(): { a: Pool; b: Pool; end(): Promise<void> } {
  const a = new Pool({ connectionString: urlOf(DATABASES.a), max: 4 });
  const b = new Pool({ connectionString: urlOf(DATABASES.b), max: 4 });
  return { a, b, end: async () => void (await Promise.all([a.end(), b.end()])) };
}

interface Measurement {
  wallMs: number;
  maxRssMb: number;
  rowsThroughNode?: number;
  checksumQueries?: number;
  findings?: SeededDifference[];
  segments?: { visited: number; mismatched: number; comparedRowByRow: number };
  perEntityMs?: Record<string, number>;
}

// ---- child measurements ---------------------------------------------------------------------------------------

async function measureCounts(): Promise<Omit<Measurement, 'wallMs' | 'maxRssMb'>> {
  const { a, b, end } = pools();
  try {
    for (const entity of exampleEntities) {
      for (const pool of [a, b]) await pool.query(`select count(*) from "${entity.table}"`);
    }
    return {};
  } finally {
    await end();
  }
}

async function measureReconcile(request: Extract<Request, { kind: 'run' }>): Promise<Omit<Measurement, 'wallMs' | 'maxRssMb'>> {
  const { a, b, end } = pools();
  try {
    const readerA = new SqlTableReader('a', a);
    const readerB = new SqlTableReader('b', b);
    const run = await new Reconciler({ entities: exampleEntities, primary: readerA, secondary: readerB }).run('all', {
      splitFactor: request.splitFactor,
      rowCompareLimit: request.rowCompareLimit,
      maxSplitParts: request.maxSplitParts,
      entityConcurrency: request.entityConcurrency,
    });
    const failed = run.entities.find((entity) => entity.error);
    if (failed) throw new Error(`${failed.entity}: ${failed.error}`);
    const work = run.entities.map((entity) => entity.work);
    return {
      perEntityMs: Object.fromEntries(run.entities.map((entity) => [entity.entity, entity.durationMs])),
      rowsThroughNode: work.reduce((sum, item) => sum + item.rowsCompared, 0),
      checksumQueries: readerA.queries.checksum + readerB.queries.checksum,
      segments: {
        visited: work.reduce((sum, item) => sum + item.segmentsVisited, 0),
        mismatched: work.reduce((sum, item) => sum + item.segmentsMismatched, 0),
        comparedRowByRow: work.reduce((sum, item) => sum + item.segmentsComparedRowByRow, 0),
      },
      findings: run.entities.flatMap((entity) =>
        entity.findings.map((finding) => ({
          entity: finding.entity,
          key: finding.key,
          kind: finding.kind as SeededDifference['kind'],
          ...(finding.field ? { field: finding.field } : {}),
        })),
      ),
    };
  } finally {
    await end();
  }
}

/** The naive way: every row of both stores through Node in key order (keyset pages of 5000), compared pairwise. */
async function measureStream(): Promise<Omit<Measurement, 'wallMs' | 'maxRssMb'>> {
  const { a, b, end } = pools();
  try {
    const readerA = new SqlTableReader('a', a);
    const readerB = new SqlTableReader('b', b);
    let rows = 0;
    const findings: SeededDifference[] = [];
    for (const entity of exampleEntities) {
      const left = readerA.stream(entity, { batchSize: 5000 })[Symbol.asyncIterator]();
      const right = readerB.stream(entity, { batchSize: 5000 })[Symbol.asyncIterator]();
      let x = await left.next();
      let y = await right.next();
      while (!x.done || !y.done) {
        const order = x.done ? 1 : y.done ? -1 : compareKeys(entity, keyOf(entity, x.value), keyOf(entity, y.value));
        if (order < 0 && !x.done) {
          findings.push({ entity: entity.name, key: keyText(entity, keyOf(entity, x.value)), kind: 'missing_in_secondary' });
          x = await left.next();
          rows += 1;
        } else if (order > 0 && !y.done) {
          findings.push({ entity: entity.name, key: keyText(entity, keyOf(entity, y.value)), kind: 'missing_in_primary' });
          y = await right.next();
          rows += 1;
        } else if (!x.done && !y.done) {
          for (const difference of compareResults(entity, x.value, y.value).differences) {
            findings.push({ entity: entity.name, key: keyText(entity, keyOf(entity, x.value)), kind: 'changed', ...(difference.field ? { field: difference.field } : {}) });
          }
          x = await left.next();
          y = await right.next();
          rows += 2;
        }
      }
    }
    return { rowsThroughNode: rows, findings };
  } finally {
    await end();
  }
}

function keyOf(entity: EntityDefinition, row: Row): string | number {
  const key = primaryKeyOf(entity, row);
  if (key === undefined) throw new Error(`${entity.name} row without a key`);
  return key;
}

async function child(request: Extract<Request, { kind: 'run' }>, mode: Mode): Promise<void> {
  const started = performance.now();
  const result = mode === 'count' ? await measureCounts() : mode === 'reconcile' ? await measureReconcile(request) : await measureStream();
  const wallMs = Math.round(performance.now() - started);
  const measurement: Measurement = { wallMs, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...result };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

// ---- parent ---------------------------------------------------------------------------------------------------

async function onServer(sql: string): Promise<void> {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function runChild(request: Extract<Request, { kind: 'run' }>, mode: Mode): Promise<Measurement> {
  const args = ['tools/run.js', 'tools/src/bench/reconcile.ts', `--mode=${mode}`, `--rows=${request.rows}`, `--split-factor=${request.splitFactor}`, `--row-compare-limit=${request.rowCompareLimit}`, `--max-split-parts=${request.maxSplitParts}`, `--entity-concurrency=${request.entityConcurrency}`];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${mode} failed: ${stderr || error.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Measurement);
    });
  });
}

function score(found: SeededDifference[], seeded: SeededDifference[]): { precision: number; recall: number } {
  const id = (item: SeededDifference) => `${item.entity} ${item.key} ${item.kind} ${item.field ?? ''}`;
  const truth = new Set(seeded.map(id));
  const got = new Set(found.map(id));
  const hits = [...got].filter((item) => truth.has(item)).length;
  return { precision: got.size ? hits / got.size : 1, recall: truth.size ? hits / truth.size : 1 };
}

async function parent(request: Extract<Request, { kind: 'run' }>): Promise<void> {
  const log = (text: string) => process.stdout.write(`${text}\n`);
  for (const name of Object.values(DATABASES)) {
    await onServer(`drop database if exists "${name}" with (force)`);
    await onServer(`create database "${name}"`);
    await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(urlOf(name));
  }
  const { a, b, end } = pools();
  let seeded: SeededDifference[];
  try {
    await Promise.all([dropForeignKeys(a), dropForeignKeys(b)]);
    const seedStarted = performance.now();
    seeded = await seedBenchData(a, b, request.rows);
    log(`seeded ${request.rows} rows per store, ${seeded.length} differing, in ${Math.round(performance.now() - seedStarted)} ms`);
  } finally {
    await end();
  }
  try {
    const results: Record<Mode, Measurement> = {} as Record<Mode, Measurement>;
    for (const mode of MODES) {
      results[mode] = await runChild(request, mode);
      log(`${mode}: ${JSON.stringify({ ...results[mode], findings: results[mode].findings?.length })}`);
    }
    const reconcileScore = score(results.reconcile.findings ?? [], seeded);
    const streamScore = score(results.stream.findings ?? [], seeded);
    const row = (name: string, m: Measurement, extra: string) =>
      `| ${name} | ${m.wallMs} | ${m.maxRssMb} | ${m.rowsThroughNode ?? 0} | ${extra} |`;
    log('');
    log(`rows: ${request.rows} per store (${exampleEntities.length} tables), ${seeded.length} differing (0.1 %); row-compare limit ${request.rowCompareLimit}, max split parts ${request.maxSplitParts}, entities at once ${request.entityConcurrency}`);
    log('| measurement | wall ms | peak RSS MB | rows through Node | notes |');
    log('|---|---|---|---|---|');
    log(row('sum of count(*), every table, both stores', results.count, '-'));
    log(row('reconcile (checksums in the databases, bisection)', results.reconcile,
      `precision ${reconcileScore.precision}, recall ${reconcileScore.recall}; ${results.reconcile.checksumQueries} checksum queries, segments ${JSON.stringify(results.reconcile.segments)}; rows through Node: row digests (key + 64-bit hash) of the mismatched parts and the rows re-checked`));
    log(`reconcile per entity (ms): ${JSON.stringify(results.reconcile.perEntityMs)}`);
    log(row('every row through Node (keyset pages of 5000)', results.stream, `precision ${streamScore.precision}, recall ${streamScore.recall}`));
    log('');
    log(`reconcile / count(*): ${(results.reconcile.wallMs / results.count.wallMs).toFixed(1)}×; stream / reconcile: ${(results.stream.wallMs / results.reconcile.wallMs).toFixed(1)}×`);
  } finally {
    for (const name of Object.values(DATABASES)) await onServer(`drop database if exists "${name}" with (force)`);
  }
}

async function main(): Promise<void> {
  const request = readCommandLine(parse, USAGE);
  if (!request) return;
  try {
    if (request.mode) await child(request, request.mode);
    else await parent(request);
  } catch (error) {
    process.stderr.write(`bench:reconcile failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

void main();
