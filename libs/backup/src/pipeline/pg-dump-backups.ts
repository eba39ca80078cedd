import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { withConnectionRetry, type ConnectionRetrySettings } from './connection-retry';
import { quoteIdentifier } from './database-url';
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

/** The schemas a target's migrations own: the only ones a snapshot holds and a restore replaces. */
export function ownedSchemas(target: Pick<PipelineTarget, 'layout'>): string[] {
  return target.layout === 'supabase' ? ['public', 'supabase_migrations'] : ['public'];
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
 * The pipeline's own backups: a pg_dump snapshot (schema and data) of the schemas the migrations own, written to
 * `<storage>/pipeline/<id>.sql` with its sha256 beside it, plus the schemas' default privileges (pg_dump leaves
 * those out of a per-schema dump). A restore checks the hash, then in ONE psql transaction drops those schemas
 * and replays the snapshot: it brings back tables a failed migration dropped or altered, removes the ones it
 * created, and resets the migration ledger; if any statement fails, nothing changes.
 * Needs pg_dump and psql of the server's major version on the PATH.
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
      const { url, env } = libpqConnection(target.databaseUrl);
      await withConnectionRetry(
        target.databaseUrl,
        () => run('pg_dump', ['--format=plain', ...ownedSchemas(target).map((schema) => `--schema=${schema}`), `--file=${partial}`, `--dbname=${url}`], { env }),
        this.retry,
      ).catch((error: unknown) => {
        throw commandError('pg_dump', error);
      });
      const defaults = await this.defaultPrivileges(target);
      await writeFile(partial, `\n-- default privileges of the owned schemas\n${defaults.join('\n')}\n`, { flag: 'a' });
      const sha256 = await hashFile(partial);
      // The hash first, then the snapshot under its final name: a snapshot without its hash never exists.
      await writeFile(`${file}.sha256`, `${sha256}\n`);
      await rename(partial, file);
      return { id };
    } catch (error) {
      await rm(partial, { force: true });
      await rm(`${file}.sha256`, { force: true });
      throw error;
    }
  }

  async restore(target: PipelineTarget, id: string): Promise<void> {
    const file = this.fileOf(id);
    const expected = (await readFile(`${file}.sha256`, 'utf8').catch(() => {
      throw new SnapshotNotFoundError(id, file);
    })).trim();
    const actual = await hashFile(file).catch(() => {
      throw new SnapshotNotFoundError(id, file);
    });
    if (actual !== expected) throw new SnapshotCorruptError(id, expected, actual);
    const drops = ownedSchemas(target).map((schema) => `drop schema if exists ${quoteIdentifier(schema)} cascade;`).join('\n');
    const { url, env } = libpqConnection(target.databaseUrl);
    await withConnectionRetry(
      target.databaseUrl,
      () => run('psql', ['--no-psqlrc', '--quiet', '--single-transaction', '-v', 'ON_ERROR_STOP=1', `--dbname=${url}`, '-c', drops, '-f', file], { env }),
      this.retry,
    ).catch((error: unknown) => {
      throw commandError('psql restore', error);
    });
  }

  /** ALTER DEFAULT PRIVILEGES statements for the owned schemas, rebuilt from pg_default_acl. */
  private async defaultPrivileges(target: PipelineTarget): Promise<string[]> {
    const client = new Client({ connectionString: target.databaseUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ role: string; schema: string; kind: string; grantee: string; privilege: string }>(
        `select pg_get_userbyid(d.defaclrole) as role, n.nspname as schema, d.defaclobjtype as kind,
                case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee, a.privilege_type as privilege
           from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
          where n.nspname = any($1::text[])`,
        [ownedSchemas(target)],
      );
      const objects: Record<string, string> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas' };
      return rows.map(
        (row) =>
          `alter default privileges for role ${quoteIdentifier(row.role)} in schema ${quoteIdentifier(row.schema)} grant ${row.privilege} on ${objects[row.kind]} to ${row.grantee};`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

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
