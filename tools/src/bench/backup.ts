import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { integerFlag, parseFlags, readCommandLine } from '../cli/args';

/**
 * `npm run bench:backup -- [--rows=1000000] [--reseed]`
 * Seeds the demo schema (users, budgets, posts, comments: 1/5, 1/5, 1/5, 2/5 of the rows) into a database of its
 * own (dw_backup_bench, kept between runs), then in the same run: a full backup (BackupService, in a child process)
 * against `pg_dump -Fc` of the same four tables, and a restore into an empty database against `pg_restore` of that
 * dump into another. Prints wall times, ratios, file sizes and the backup/restore processes' peak RSS as Markdown.
 */
export const BACKUP_BENCH_USAGE = [
  'usage: npm run bench:backup -- [--rows=1000000] [--rounds=2] [--reseed]',
  '  --rows=N    rows of the demo schema to back up (default 1000000)',
  '  --rounds=N  rounds of every measurement, taking turns; each figure is the fastest round (default 2)',
  '  --reseed    drop and seed the bench database again even when it already holds N rows',
].join('\n');

type BenchRequest = { kind: 'help' } | { kind: 'run'; rows: number; rounds: number; reseed: boolean };

export function parseBackupBenchArgs(argv: string[]): BenchRequest {
  const flags = parseFlags(argv, { rows: { type: 'string' }, rounds: { type: 'string' }, reseed: { type: 'boolean' }, help: { type: 'boolean' } });
  if (flags.help) return { kind: 'help' };
  return {
    kind: 'run',
    rows: integerFlag('--rows', flags.rows ?? '1000000', { meaning: 'rows to back up' }),
    rounds: integerFlag('--rounds', flags.rounds ?? '2', { meaning: 'rounds of every measurement' }),
    reseed: flags.reseed ?? false,
  };
}

const root = path.resolve(__dirname, '..', '..', '..');
const TABLES = ['users', 'budgets', 'posts', 'comments'];

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function recreateDatabase(base: string, name: string): Promise<string> {
  await withClient(databaseUrl(base, 'postgres'), async (client) => {
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}"`);
  });
  return databaseUrl(base, name);
}

async function dropDatabase(base: string, name: string): Promise<void> {
  await withClient(databaseUrl(base, 'postgres'), (client) => client.query(`drop database if exists "${name}" with (force)`));
}

async function rowCount(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const exists = await client.query(`select to_regclass('public.comments') as t`);
    if (!exists.rows[0].t) return -1;
    const { rows } = await client.query<{ n: string }>(`select (select count(*) from users) + (select count(*) from budgets) + (select count(*) from posts) + (select count(*) from comments) as n`);
    return Number(rows[0].n);
  });
}

/** Demo-shaped rows with distinct text; comments reference posts and users (2 per post). */
async function seed(url: string, rows: number): Promise<void> {
  const users = Math.floor(rows / 5);
  const comments = rows - 3 * users;
  await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(url);
  await withClient(url, async (client) => {
    await client.query(`insert into users (id, email, display_name) select md5('u' || i)::uuid, 'bench-' || i || '@example.test', 'User ' || md5('n' || i) from generate_series(1, $1) i`, [users]);
    await client.query(
      `insert into budgets (id, owner_id, name, amount, currency, metadata) select md5('b' || i)::uuid, md5('u' || i)::uuid, 'Budget ' || i, (i % 100000) + 0.25, 'EUR', jsonb_build_object('n', i, 'tag', md5('m' || i)) from generate_series(1, $1) i`,
      [users],
    );
    await client.query(
      `insert into posts (id, author_id, title, body, published) select md5('p' || i)::uuid, md5('u' || i)::uuid, 'Post ' || md5('t' || i), repeat(md5('body' || i), 3), i % 2 = 0 from generate_series(1, $1) i`,
      [users],
    );
    await client.query(
      `insert into comments (post_id, author_id, body) select md5('p' || (1 + i % $2))::uuid, md5('u' || (1 + (i * 7) % $2))::uuid, 'Comment ' || md5('c' || i) from generate_series(1, $1) i`,
      [comments, users],
    );
    await client.query('vacuum analyze users, budgets, posts, comments');
  });
}

interface Timed {
  ms: number;
  maxRssMb?: number;
  id?: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`${path.basename(command)} ${args[0] ?? ''} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

async function ours(args: string[]): Promise<Timed> {
  const { ms, stdout } = await run(process.execPath, [path.join(root, 'tools', 'run.js'), path.join(__dirname, 'backup-child.ts'), ...args]);
  const line = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Timed;
  return { ms, maxRssMb: line.maxRssMb, id: line.id };
}

function pgEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  return { ...process.env, PGHOST: parsed.hostname, PGPORT: parsed.port || '5432', PGUSER: decodeURIComponent(parsed.username), PGPASSWORD: decodeURIComponent(parsed.password) };
}

async function main(): Promise<void> {
  const request = readCommandLine(parseBackupBenchArgs, BACKUP_BENCH_USAGE);
  if (!request) return;
  loadEnvFiles();
  const config = loadPlatformConfigOrExit();
  const base = config.primaryDatabaseUrl;
  const sourceUrl = databaseUrl(base, 'dw_backup_bench');
  const existing = await rowCount(sourceUrl).catch(() => -1);
  if (request.reseed || existing !== request.rows) {
    process.stdout.write(`seeding ${request.rows} rows into dw_backup_bench ...\n`);
    const started = performance.now();
    await seed(await recreateDatabase(base, 'dw_backup_bench'), request.rows);
    process.stdout.write(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const controlUrl = await recreateDatabase(base, 'dw_backup_bench_ctl');
  await new SqlMigrationRunner('platform', path.join(root, 'libs', 'dual-write', 'migrations')).run(controlUrl);
  const storage = await mkdtemp(path.join(tmpdir(), 'dw-backup-bench-'));
  const dumpFile = path.join(storage, 'tables.dump');
  const env = pgEnv(base);
  const best = (runs: Timed[]): Timed => runs.reduce((fastest, next) => (next.ms < fastest.ms ? next : fastest));
  const rounds = { backup: [] as Timed[], dump: [] as Timed[], restore: [] as Timed[], pgRestore: [] as Timed[], checksums: [] as Timed[] };
  try {
    const tableArgs = TABLES.flatMap((table) => ['-t', `public.${table}`]);
    let backupId = '';
    let restoreTarget = '';
    for (let round = 1; round <= request.rounds; round += 1) {
      process.stdout.write(`round ${round}: backup (ours) ...\n`);
      await rm(dumpFile, { force: true });
      const backup = await ours(['backup', sourceUrl, controlUrl, storage]);
      rounds.backup.push(backup);
      backupId = backup.id ?? '';
      process.stdout.write(`round ${round}: pg_dump -Fc ...\n`);
      rounds.dump.push(await run('pg_dump', ['-Fc', ...tableArgs, '-f', dumpFile, '-d', 'dw_backup_bench'], env));
      restoreTarget = await recreateDatabase(base, 'dw_backup_bench_restore');
      process.stdout.write(`round ${round}: restore (ours) ...\n`);
      rounds.restore.push(await ours(['restore', sourceUrl, controlUrl, storage, backupId, restoreTarget]));
      await recreateDatabase(base, 'dw_backup_bench_pgrestore');
      process.stdout.write(`round ${round}: pg_restore ...\n`);
      rounds.pgRestore.push(await run('pg_restore', ['-d', 'dw_backup_bench_pgrestore', dumpFile], env));
      const checksumTarget = await recreateDatabase(base, 'dw_backup_bench_restore_sums');
      process.stdout.write(`round ${round}: restore --verify-checksums (ours) ...\n`);
      rounds.checksums.push(await ours(['restore-checksums', sourceUrl, controlUrl, storage, backupId, checksumTarget]));
    }
    const [backup, dump, restore, pgRestore, checksums] = [best(rounds.backup), best(rounds.dump), best(rounds.restore), best(rounds.pgRestore), best(rounds.checksums)];
    const ourBytes = await folderBytes(path.join(storage, backupId));
    const dumpBytes = (await stat(dumpFile)).size;
    const restored = await rowCount(restoreTarget);
    const seconds = (ms: number) => (ms / 1000).toFixed(2);
    const all = (runs: Timed[]) => runs.map((one) => seconds(one.ms)).join(' / ');
    const peak = (runs: Timed[]) => Math.max(...runs.map((one) => one.maxRssMb ?? 0)).toFixed(0);
    const lines = [
      `| measure (${request.rows.toLocaleString('en-US')} rows, fastest of ${request.rounds}) | ours (BackupService) | pg_dump -Fc / pg_restore | ratio ours / pg | every round, ours; pg |`,
      `|---|---|---|---|---|`,
      `| backup wall time | ${seconds(backup.ms)} s | ${seconds(dump.ms)} s | ${(backup.ms / dump.ms).toFixed(2)} | ${all(rounds.backup)}; ${all(rounds.dump)} |`,
      `| restore wall time (into an empty database, row counts checked) | ${seconds(restore.ms)} s | ${seconds(pgRestore.ms)} s | ${(restore.ms / pgRestore.ms).toFixed(2)} | ${all(rounds.restore)}; ${all(rounds.pgRestore)} |`,
      `| restore with --verify-checksums (content checksums before commit) | ${seconds(checksums.ms)} s | ${seconds(pgRestore.ms)} s | ${(checksums.ms / pgRestore.ms).toFixed(2)} | ${all(rounds.checksums)} |`,
      `| size on disk | ${(ourBytes / 1048576).toFixed(1)} MiB | ${(dumpBytes / 1048576).toFixed(1)} MiB | ${(ourBytes / dumpBytes).toFixed(2)} | |`,
      `| peak RSS of the backup process (highest round) | ${peak(rounds.backup)} MB | | | |`,
      `| peak RSS of the restore process (highest round) | ${peak([...rounds.restore, ...rounds.checksums])} MB | | | |`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\nrows restored: ${restored} (expected ${request.rows}); wall times include each process's start (ours: node + TypeScript registration).\n`);
    if (restored !== request.rows) process.exitCode = 1;
  } finally {
    await rm(storage, { recursive: true, force: true });
    await dropDatabase(base, 'dw_backup_bench_restore');
    await dropDatabase(base, 'dw_backup_bench_pgrestore');
    await dropDatabase(base, 'dw_backup_bench_restore_sums');
    await dropDatabase(base, 'dw_backup_bench_ctl');
  }
}

async function folderBytes(dir: string): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:backup failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
