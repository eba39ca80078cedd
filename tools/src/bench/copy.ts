import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { KeySync, OperationLedger } from '@dualwrite/dual-write';
import { createPrismaClient, exampleEntities } from '@dualwrite/example-domain';
import { InitialCopy, SqlKeyLister, readForeignKeys } from '@dualwrite/reconcile';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import { integerFlag, parseFlags, readCommandLine } from '../cli/args';

/**
 * `npm run bench:copy -- [--rows=1000000] [--chunk-size=1000]`
 * Seeds the demo schema (users, budgets, posts, comments: 1/5, 1/5, 1/5, 2/5 of the rows) into a store A database
 * of its own, then in the same run: `pg_dump --data-only | psql` of the four tables into an empty store B database,
 * against `InitialCopy` (the copy-data path: KeySync through supabase-js and a supabase-local process of its own) into
 * another. Checks both copies hold what store A holds (count and checksum per table), prints wall times, the ratio
 * and the copy's peak RSS as Markdown, and drops its databases.
 */
export const COPY_BENCH_USAGE = [
  'usage: npm run bench:copy -- [--rows=1000000] [--chunk-size=1000]',
  '  --rows=N        rows of the demo schema to copy (default 1000000)',
  '  --chunk-size=N  keys per chunk of the copy (default 1000)',
].join('\n');

type BenchRequest = { kind: 'help' } | { kind: 'run'; rows: number; chunkSize: number };

function parseCopyBenchArgs(argv: string[]): BenchRequest {
  const flags = parseFlags(argv, { rows: { type: 'string' }, 'chunk-size': { type: 'string' }, help: { type: 'boolean' } });
  if (flags.help) return { kind: 'help' };
  return {
    kind: 'run',
    rows: integerFlag('--rows', flags.rows ?? '1000000', { meaning: 'rows to copy' }),
    chunkSize: integerFlag('--chunk-size', flags['chunk-size'] ?? '1000', { meaning: 'keys per chunk' }),
  };
}

const root = path.resolve(__dirname, '..', '..', '..');
const TABLES = ['users', 'budgets', 'posts', 'comments'];
const NAMES = { a: 'dw_copy_bench_a', b: 'dw_copy_bench_b', dump: 'dw_copy_bench_dump', control: 'dw_copy_bench_control' };

function urlOf(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onDatabase(url: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function sqlFiles(dir: string, pick: (name: string) => string | null): string[] {
  return readdirSync(dir)
    .sort()
    .map(pick)
    .filter((file): file is string => file !== null)
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}

async function prepareDatabases(base: string): Promise<void> {
  await onDatabase(urlOf(base, 'postgres'), async (client) => {
    for (const name of Object.values(NAMES)) {
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.query(`create database "${name}"`);
    }
  });
  const prisma = sqlFiles(path.join(root, 'prisma', 'migrations'), (name) => (/^\d+_/.test(name) ? path.join(name, 'migration.sql') : null));
  await onDatabase(urlOf(base, NAMES.a), async (client) => {
    for (const sql of prisma) await client.query(sql);
  });
  const supabase = [
    readFileSync(path.join(root, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8'),
    ...sqlFiles(path.join(root, 'supabase', 'migrations'), (name) => (name.endsWith('.sql') ? name : null)),
  ];
  for (const name of [NAMES.b, NAMES.dump]) {
    await onDatabase(urlOf(base, name), async (client) => {
      for (const sql of supabase) await client.query(sql);
    });
  }
  await new SqlMigrationRunner('platform', path.join(root, 'libs', 'dual-write', 'migrations')).run(urlOf(base, NAMES.control));
}

async function seed(url: string, rows: number): Promise<void> {
  const fifth = Math.floor(rows / 5);
  const comments = rows - 3 * fifth;
  await onDatabase(url, async (client) => {
    await client.query(`insert into users (id, email, display_name) select md5('u' || i)::uuid, 'user' || i || '@bench.test', 'User ' || i from generate_series(1, ${fifth}) i`);
    await client.query(`insert into budgets (id, owner_id, name, amount, currency, metadata)
      select md5('b' || i)::uuid, md5('u' || (1 + i % ${fifth}))::uuid, 'Budget ' || i, (i % 100000) * 1.25, 'EUR', jsonb_build_object('n', i) from generate_series(1, ${fifth}) i`);
    await client.query(`insert into posts (id, author_id, title, body, published)
      select md5('p' || i)::uuid, md5('u' || (1 + i % ${fifth}))::uuid, 'Post ' || i, repeat('lorem ipsum ', 8) || i, i % 3 = 0 from generate_series(1, ${fifth}) i`);
    await client.query(`insert into comments (post_id, author_id, body)
      select md5('p' || (1 + i % ${fifth}))::uuid, md5('u' || (1 + i % ${fifth}))::uuid, 'Comment ' || i from generate_series(1, ${comments}) i`);
    await client.query('analyze');
  });
}

function pgEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  return { ...process.env, PGHOST: parsed.hostname, PGPORT: parsed.port || '5432', PGUSER: decodeURIComponent(parsed.username), PGPASSWORD: decodeURIComponent(parsed.password) };
}

/** `pg_dump --data-only` of the four tables piped into `psql`: the reference a copy is measured against. */
function dumpAndLoad(base: string): Promise<number> {
  const started = Date.now();
  const tables = TABLES.map((table) => `-t public.${table}`).join(' ');
  const script = `set -o pipefail; pg_dump --data-only ${tables} -d ${NAMES.a} | psql -q -v ON_ERROR_STOP=1 -d ${NAMES.dump} > /dev/null`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: pgEnv(base), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(Date.now() - started) : reject(new Error(`pg_dump | psql failed: ${stderr.trim()}`))));
  });
}

function startSupabaseLocal(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(root, 'tools', 'run.js'), path.join(root, 'tools', 'supabase-local', 'src', 'main.ts')], {
    cwd: root,
    env: { ...process.env, SUPABASE_LOCAL_PORT: '0', SUPABASE_DB_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const serving = /serving (http:\/\/[^\s]+)\/rest\/v1/.exec(stdout);
      if (serving?.[1]) resolve({ url: serving[1], child });
    });
    child.on('exit', (code) => reject(new Error(`supabase-local exited (${code}) before serving`)));
  });
}

async function checksums(store: PrismaStore | SupabaseStore): Promise<string> {
  const parts: string[] = [];
  for (const entity of exampleEntities) {
    const { count, checksum } = await store.checksum(entity);
    parts.push(`${entity.name}:${count}:${checksum}`);
  }
  return parts.join(' ');
}

async function run(request: Extract<BenchRequest, { kind: 'run' }>): Promise<void> {
  const config = loadPlatformConfigOrExit();
  const base = config.primaryDatabaseUrl;
  const log = (text: string) => process.stderr.write(`${text}\n`);
  log(`preparing ${Object.values(NAMES).join(', ')} and seeding ${request.rows} rows`);
  await prepareDatabases(base);
  await seed(urlOf(base, NAMES.a), request.rows);

  log('pg_dump --data-only | psql');
  const dumpMs = await dumpAndLoad(base);

  const endpoint = await startSupabaseLocal(urlOf(base, NAMES.b));
  const control = new Pool({ connectionString: urlOf(base, NAMES.control), max: 6 });
  const poolA = new Pool({ connectionString: urlOf(base, NAMES.a), max: 4 });
  const poolB = new Pool({ connectionString: urlOf(base, NAMES.b), max: 4 });
  const prisma = new PrismaStore(createPrismaClient(urlOf(base, NAMES.a)), { ownsClient: true });
  const supabase = new SupabaseStore({ url: endpoint.url, serviceRoleKey: config.supabase?.serviceRoleKey ?? '', databaseUrl: urlOf(base, NAMES.b) });
  const dumpStore = new SupabaseStore({ url: endpoint.url, serviceRoleKey: config.supabase?.serviceRoleKey ?? '', databaseUrl: urlOf(base, NAMES.dump) });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    log('copy-data (InitialCopy through KeySync)');
    const copy = new InitialCopy({
      entities: exampleEntities,
      source: { store: prisma, keys: new SqlKeyLister(poolA), foreignKeys: () => readForeignKeys(poolA) },
      target: { store: supabase, keys: new SqlKeyLister(poolB, 'public') },
      control,
      keySync: new KeySync({ pool: control, ledger: new OperationLedger(control) }),
    });
    const started = Date.now();
    await copy.copy('all', { chunkSize: request.chunkSize });
    const copyMs = Date.now() - started;
    clearInterval(sampler);

    const [sumA, sumB, sumDump] = await Promise.all([checksums(prisma), checksums(supabase), checksums(dumpStore)]);
    const equal = sumA === sumB && sumA === sumDump;
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    process.stdout.write(
      [
        `| rows | pg_dump --data-only \\| psql | copy-data (KeySync, supabase-js) | ratio | copy rows/s | copy peak RSS | stores equal |`,
        '|---|---|---|---|---|---|---|',
        `| ${request.rows} | ${seconds(dumpMs)} s | ${seconds(copyMs)} s | ${(copyMs / dumpMs).toFixed(1)}× | ${Math.round(request.rows / (copyMs / 1000))} | ${Math.round(peakRss / 1048576)} MB | ${equal ? 'yes' : 'NO'} |`,
        '',
      ].join('\n'),
    );
    if (!equal) {
      log(`A:    ${sumA}\nB:    ${sumB}\ndump: ${sumDump}`);
      process.exitCode = 1;
    }
  } finally {
    clearInterval(sampler);
    await Promise.allSettled([prisma.close(), supabase.close(), dumpStore.close(), control.end(), poolA.end(), poolB.end()]);
    endpoint.child.kill('SIGTERM');
    await new Promise((resolve) => endpoint.child.once('exit', resolve));
    await onDatabase(urlOf(base, 'postgres'), async (client) => {
      for (const name of Object.values(NAMES)) await client.query(`drop database if exists "${name}" with (force)`);
    });
  }
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const request = readCommandLine(parseCopyBenchArgs, COPY_BENCH_USAGE);
  if (!request) return;
  try {
    await run(request);
  } catch (error) {
    process.stderr.write(`bench:copy failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

void main();
