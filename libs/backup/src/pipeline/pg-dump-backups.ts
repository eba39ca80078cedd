import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, type ClientBase } from 'pg';
import { withConnectionRetry, type ConnectionRetrySettings } from './connection-retry';
import { readMigrationFiles } from '../migrations/migration-files';
import { quoteIdentifier } from './database-url';
import { readLedger } from './migration-check';
import { catalogBuiltBy } from './shadow-database';
import type { PipelineBackups } from './pipeline-backups';
import type { PipelineTarget } from './pipeline-target';

const execFileAsync = promisify(execFile);

/** Runs a libpq tool; a failure to connect becomes SQLSTATE 08001 so the connection retry recognises it. */
async function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv }): Promise<void> {
  try {
    await execFileAsync(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    if (/connection to server .* failed/.test(stderr)) {
      throw Object.assign(new Error(stderr.trim().split('\n')[0]), { code: '08001', stderr });
    }
    throw error;
  }
}

/** Where each layout records applied migrations; restored with the tables so the ledger matches them again. */
const LEDGER_TABLE: Record<PipelineTarget['layout'], string> = {
  prisma: 'public._prisma_migrations',
  supabase: 'supabase_migrations.schema_migrations',
};

/**
 * The tables a target's migrations manage, schema-qualified: every table its applied migrations build (on a shadow
 * database) and its migration ledger. Other tables in the same database (the platform's control tables, another
 * tool's) are never part of a snapshot.
 */
export async function managedTables(target: PipelineTarget, client: ClientBase): Promise<string[]> {
  const applied = new Set((await readLedger(client, target.layout)).map((row) => row.id));
  const files = readMigrationFiles(target.layout, target.migrationsDir).filter((file) => applied.has(file.id));
  const catalog = await catalogBuiltBy(target.databaseUrl, [
    ...(target.shadowPreambleSql ? [{ name: 'the shadow preamble', sql: target.shadowPreambleSql }] : []),
    ...files.map((file) => ({ name: `migration ${file.id}`, sql: file.sql })),
  ]);
  return [...Object.keys(catalog).map((table) => `public.${table}`), LEDGER_TABLE[target.layout]];
}

interface SnapshotSidecar {
  sha256: string;
  /** The managed tables that existed when the snapshot was taken (the ones it holds). */
  tables: string[];
  /** Every table of the public schema then: a table found there at restore time and not in this list was created since. */
  publicTables: string[];
}

export class SnapshotNotFoundError extends Error {
  constructor(id: string, file: string) {
    super(`Pipeline snapshot ${id} does not exist (${file}).`);
    this.name = 'SnapshotNotFoundError';
  }
}

export class SnapshotCorruptError extends Error {
  constructor(id: string, expected: string, actual: string) {
    super(`Pipeline snapshot ${id} fails its hash check (expected sha256 ${expected}, found ${actual}); it was not restored.`);
    this.name = 'SnapshotCorruptError';
  }
}

/**
 * The pipeline's own backups: a pg_dump snapshot (schema and data: columns, keys, indexes, sequences, RLS,
 * policies, grants) of the tables the migrations manage (`managedTables`), written to
 * `<storage>/pipeline/<id>.sql` with a sidecar `<id>.json` holding its sha256 and table list. A restore checks
 * the hash, then in ONE psql transaction drops every managed table that exists now (including tables a failed
 * deploy created) and replays the snapshot: tables a migration dropped or altered come back with their rows, the
 * ledger is as it was, and if any statement fails nothing changes. Objects other than tables (functions, types,
 * schemas) are not part of it. Needs pg_dump and psql of the server's major version on the PATH.
 */
export class PgDumpPipelineBackups implements PipelineBackups {
  readonly kind = 'pg_dump snapshot';

  constructor(
    private readonly storagePath: string,
    private readonly retry?: ConnectionRetrySettings,
  ) {}

  private fileOf(id: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`"${id}" is not a pipeline snapshot id.`);
    return path.join(this.storagePath, 'pipeline', `${id}.sql`);
  }

  async backup(target: PipelineTarget): Promise<{ id: string }> {
    const id = `${target.store}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    const file = this.fileOf(id);
    await mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.partial`;
    try {
      const { tables, publicTables } = await withConnectionRetry(target.databaseUrl, () => tablesOf(target), this.retry);
      if (tables.length === 0) {
        await writeFile(partial, '-- no managed table existed when this snapshot was taken\n');
      } else {
        const { url, env } = libpqConnection(target.databaseUrl);
        await withConnectionRetry(
          target.databaseUrl,
          () => run('pg_dump', ['--format=plain', ...tables.map((table) => `--table=${table}`), `--file=${partial}`, `--dbname=${url}`], { env }),
          this.retry,
        ).catch((error: unknown) => {
          throw commandError('pg_dump', error);
        });
      }
      const sidecar: SnapshotSidecar = { sha256: await hashFile(partial), tables, publicTables };
      // The sidecar first, then the snapshot under its final name: a snapshot without its hash never exists.
      await writeFile(`${file.slice(0, -4)}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
      await rename(partial, file);
      return { id };
    } catch (error) {
      await rm(partial, { force: true });
      await rm(`${file.slice(0, -4)}.json`, { force: true });
      throw error;
    }
  }

  async restore(target: PipelineTarget, id: string): Promise<void> {
    const file = this.fileOf(id);
    const sidecar = await readFile(`${file.slice(0, -4)}.json`, 'utf8')
      .then((text) => JSON.parse(text) as SnapshotSidecar)
      .catch(() => {
        throw new SnapshotNotFoundError(id, file);
      });
    const actual = await hashFile(file).catch(() => {
      throw new SnapshotNotFoundError(id, file);
    });
    if (actual !== sidecar.sha256) throw new SnapshotCorruptError(id, sidecar.sha256, actual);
    const { publicTables } = await withConnectionRetry(target.databaseUrl, () => tablesOf(target, false), this.retry);
    const createdSince = publicTables.filter((table) => !sidecar.publicTables.includes(table));
    const drops = [...new Set([...sidecar.tables, ...createdSince])].map((table) => `drop table if exists ${qualified(table)} cascade;`).join('\n');
    const { url, env } = libpqConnection(target.databaseUrl);
    await withConnectionRetry(
      target.databaseUrl,
      () => run('psql', ['--no-psqlrc', '--quiet', '--single-transaction', '-v', 'ON_ERROR_STOP=1', `--dbname=${url}`, '-c', drops || 'select 1', '-f', file], { env }),
      this.retry,
    ).catch((error: unknown) => {
      throw commandError('psql restore', error);
    });
  }
}

/** The managed tables the database has (when `managed`), and every table of its public schema. */
async function tablesOf(target: PipelineTarget, managed = true): Promise<{ tables: string[]; publicTables: string[] }> {
  const client = new Client({ connectionString: target.databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const publicTables = (
      await client.query<{ name: string }>(`select 'public.' || relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') order by 1`)
    ).rows.map((row) => row.name);
    if (!managed) return { tables: [], publicTables };
    const candidates = await managedTables(target, client);
    const { rows } = await client.query<{ name: string }>('select name from unnest($1::text[]) as name where to_regclass(name) is not null', [candidates]);
    return { tables: rows.map((row) => row.name), publicTables };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const qualified = (table: string) => table.split('.').map(quoteIdentifier).join('.');

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The URL for libpq tools with the password moved to PGPASSWORD, so it never shows in a process list. */
function libpqConnection(databaseUrl: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(databaseUrl);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** A failed pg_dump/psql as one error with its stderr (libpq never prints the password). */
function commandError(what: string, error: unknown): Error {
  if (error instanceof Error && error.name === 'DatabaseUnreachableError') return error;
  const stderr = (error as { stderr?: string }).stderr?.trim();
  const reason = stderr || (error instanceof Error ? error.message : String(error));
  return new Error(`${what} failed: ${reason}`, { cause: error });
}
