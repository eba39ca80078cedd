import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { KeySync, OperationLedger } from '@dualwrite/dual-write';
import { createPrismaClient, exampleEntities } from '@dualwrite/example-domain';
import { InitialCopy, SqlKeyLister, readForeignKeys, type CopyResult } from '@dualwrite/reconcile';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import { integerFlag, parseFlags, readCommandLine } from '../cli/args';

/**
 * `npm run bench:copy -- [--rows=1000000] [--chunk-size=20000] [--key-sync]`
 * Seeds the demo schema (users, budgets, posts, comments: 1/5, 1/5, 1/5, 2/5 of the rows) into a store A database
 * of its own, then in the same run: `pg_dump --data-only` of the four tables piped into `psql` on an empty store B
 * database, `InitialCopy` streamed (COPY between the two databases, as copy-data does when SUPABASE_DB_URL is set)
 * into another, `pg_dump | psql` again (the reference is the mean of the two, taken around the copy), and with
 * `--key-sync` also `InitialCopy` through KeySync (supabase-js to a supabase-local process of its own, 1,000 keys a
 * batch) into a third. Checks every copy holds what store A holds (count and checksum per table), prints wall times,
 * ratios and each copy's peak RSS as Markdown, and drops its databases.
 */
export const COPY_BENCH_USAGE = [
  'usage: npm run bench:copy -- [--rows=1000000] [--chunk-size=20000] [--key-sync]',
  '  --rows=N        rows of the demo schema to copy (default 1000000)',
  '  --chunk-size=N  keys per chunk of the streamed copy (default 20000)',
  '  --key-sync      also time the KeySync path (1000 keys a chunk; ~10x slower than pg_dump | psql)',
].join('\n');

type BenchRequest = { kind: 'help' } | { kind: 'run'; rows: number; chunkSize: number; keySync: boolean };

function parseCopyBenchArgs(argv: string[]): BenchRequest {
  const flags = parseFlags(argv, { rows: { type: 'string' }, 'chunk-size': { type: 'string' }, 'key-sync': { type: 'boolean' }, help: { type: 'boolean' } });
  if (flags.help) return { kind: 'help' };
  return {
    kind: 'run',
    rows: integerFlag('--rows', flags.rows ?? '1000000', { meaning: 'rows to copy' }),
    chunkSize: integerFlag('--chunk-size', flags['chunk-size'] ?? '20000', { meaning: 'keys per chunk' }),
    keySync: flags['key-sync'] === true,
  };
}

const root = path.resolve(__dirname, '..', '..', '..');
const TABLES = ['users', 'budgets', 'posts', 'comments'];
const NAMES = { a: 'dw_copy_bench_a', b: 'dw_copy_bench_b', sync: 'dw_copy_bench_sync', dump: 'dw_copy_bench_dump', control: 'dw_copy_bench_control' };

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
  for (const name of [NAMES.b, NAMES.sync, NAMES.dump]) {
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
    // As autovacuum leaves a live table (it is off on the bench machine): visibility map set, statistics fresh.
    await client.query('vacuum analyze');
  });
}

function pgEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  return { ...process.env, PGHOST: parsed.hostname, PGPORT: parsed.port || '5432', PGUSER: decodeURIComponent(parsed.username), PGPASSWORD: decodeURIComponent(parsed.password) };
}

/** Flushes the dirty pages the previous step left, so each timed step starts with none (the server is shared). */
async function checkpoint(base: string): Promise<void> {
  await onDatabase(urlOf(base, 'postgres'), (client) => client.query('checkpoint'));
}

/** `pg_dump --data-only` of the four tables piped into `psql` (into emptied tables): the reference a copy is measured against. */
async function dumpAndLoad(base: string): Promise<number> {
  await onDatabase(urlOf(base, NAMES.dump), (client) => client.query(`truncate ${TABLES.join(', ')}`));
  await checkpoint(base);
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

/** Peak RSS of this process while `work` runs, sampled every 100 ms. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const started = Date.now();
  try {
    const value = await work();
    return { value, ms: Date.now() - started, peakRss: Math.max(peakRss, process.memoryUsage().rss) };
  } finally {
    clearInterval(sampler);
  }
}

async function run(request: Extract<BenchRequest, { kind: 'run' }>): Promise<void> {
  const config = loadPlatformConfigOrExit();
  const base = config.primaryDatabaseUrl;
  const log = (text: string) => process.stderr.write(`${text}\n`);
  log(`preparing ${Object.values(NAMES).join(', ')} and seeding ${request.rows} rows`);
  await prepareDatabases(base);
  await seed(urlOf(base, NAMES.a), request.rows);

  const endpoint = await startSupabaseLocal(urlOf(base, NAMES.b));
  const syncEndpoint = request.keySync ? await startSupabaseLocal(urlOf(base, NAMES.sync)) : null;
  const control = new Pool({ connectionString: urlOf(base, NAMES.control), max: 6 });
  const poolA = new Pool({ connectionString: urlOf(base, NAMES.a), max: 4 });
  const poolB = new Pool({ connectionString: urlOf(base, NAMES.b), max: 4 });
  const poolSync = new Pool({ connectionString: urlOf(base, NAMES.sync), max: 4 });
  const serviceRoleKey = config.supabase?.serviceRoleKey ?? '';
  const prisma = new PrismaStore(createPrismaClient(urlOf(base, NAMES.a)), { ownsClient: true });
  const supabase = new SupabaseStore({ url: endpoint.url, serviceRoleKey, databaseUrl: urlOf(base, NAMES.b) });
  const syncStore = syncEndpoint ? new SupabaseStore({ url: syncEndpoint.url, serviceRoleKey, databaseUrl: urlOf(base, NAMES.sync) }) : null;
  const dumpStore = new SupabaseStore({ url: endpoint.url, serviceRoleKey, databaseUrl: urlOf(base, NAMES.dump) });
  const keySync = new KeySync({ pool: control, ledger: new OperationLedger(control) });
  const source = { store: prisma, keys: new SqlKeyLister(poolA), foreignKeys: () => readForeignKeys(poolA) };
  try {
    log('pg_dump --data-only | psql');
    const dumpBefore = await dumpAndLoad(base);

    log(`copy-data streamed (COPY between the databases, ${request.chunkSize} keys a chunk)`);
    await checkpoint(base);
    const streamed = await measured(() =>
      new InitialCopy({
        entities: exampleEntities,
        source,
        target: { store: supabase, keys: new SqlKeyLister(poolB, 'public') },
        sourceSide: 'a',
        control,
        keySync,
        stream: { source: { pool: poolA }, target: { pool: poolB, schema: 'public' } },
      }).copy('all', { chunkSize: request.chunkSize }),
    );

    log(`  ${streamed.value.entities.map((entity) => `${entity.entity} ${entity.durationMs} ms`).join(', ')}`);
    log('pg_dump --data-only | psql (again)');
    const dumpAfter = await dumpAndLoad(base);
    const dumpMs = (dumpBefore + dumpAfter) / 2;

    let viaKeySync: Awaited<ReturnType<typeof measured<CopyResult>>> | null = null;
    if (syncStore) {
      log('copy-data through KeySync (1000 keys a chunk)');
      await checkpoint(base);
      viaKeySync = await measured(() =>
        new InitialCopy({ entities: exampleEntities, source, sourceSide: 'a', target: { store: syncStore, keys: new SqlKeyLister(poolSync, 'public') }, control, keySync }).copy('all', {
          chunkSize: 1000,
        }),
      );
    }

    const sumA = await checksums(prisma);
    const copies: [string, PrismaStore | SupabaseStore][] = [['streamed', supabase], ['pg_dump | psql', dumpStore], ...(syncStore ? [['KeySync', syncStore] as [string, SupabaseStore]] : [])];
    let equal = true;
    for (const [name, store] of copies) {
      const sum = await checksums(store);
      if (sum !== sumA) {
        equal = false;
        log(`${name} differs from store A:\nA:    ${sumA}\n${name}: ${sum}`);
      }
    }
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
    const line = (name: string, result: { ms: number; peakRss: number; value: CopyResult }) => {
      const via = result.value.entities.reduce((sum, entity) => ({ copy: sum.copy + entity.chunksVia.copy, merge: sum.merge + entity.chunksVia.merge, keySync: sum.keySync + entity.chunksVia.keySync }), { copy: 0, merge: 0, keySync: 0 });
      return `| ${name} | ${seconds(result.ms)} | ${(result.ms / dumpMs).toFixed(2)}× | ${Math.round(request.rows / (result.ms / 1000))} | ${mb(result.peakRss)} | ${via.copy}/${via.merge}/${via.keySync} |`;
    };
    process.stdout.write(
      [
        `${request.rows} rows; pg_dump --data-only \\| psql ${seconds(dumpBefore)} before the copy, ${seconds(dumpAfter)} after (reference: mean ${seconds(dumpMs)}); all copies equal to store A: ${equal ? 'yes' : 'NO'}`,
        '',
        '| path | wall time | vs pg_dump \\| psql | rows/s | peak RSS (process) | chunks copy/merge/KeySync |',
        '|---|---|---|---|---|---|',
        line(`copy-data streamed (COPY, ${request.chunkSize} keys a chunk)`, streamed),
        ...(viaKeySync ? [line('copy-data through KeySync (1,000 keys a chunk)', viaKeySync)] : []),
        '',
      ].join('\n'),
    );
    if (!equal) process.exitCode = 1;
  } finally {
    await Promise.allSettled([prisma.close(), supabase.close(), syncStore?.close(), dumpStore.close(), control.end(), poolA.end(), poolB.end(), poolSync.end()]);
    for (const started of [endpoint, syncEndpoint]) {
      if (!started) continue;
      started.child.kill('SIGTERM');
      await new Promise((resolve) => started.child.once('exit', resolve));
    }
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
