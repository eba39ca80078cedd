import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { databaseNameOf } from '../pipeline/database-url';
import { readMigrationFiles, type MigrationFile, type MigrationLayout } from './migration-files';

export interface MigrationRunResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationChecksumError extends Error {
  constructor(readonly migration: string) {
    super(
      `Migration ${migration} was changed after it was applied (checksum differs). ` +
        'Add a new migration instead of editing an applied one.',
    );
    this.name = 'MigrationChecksumError';
  }
}

const PRISMA_LEDGER = `
create table if not exists "_prisma_migrations" (
  "id" varchar(36) primary key not null,
  "checksum" varchar(64) not null,
  "finished_at" timestamptz,
  "migration_name" varchar(255) not null,
  "logs" text,
  "rolled_back_at" timestamptz,
  "started_at" timestamptz not null default now(),
  "applied_steps_count" integer not null default 0
)`;

const SUPABASE_LEDGER = `
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  name text,
  statements text[]
)`;

const PLATFORM_LEDGER = `
create table if not exists dual_write_schema_migrations (
  version text primary key,
  name text not null,
  checksum varchar(64) not null,
  applied_at timestamptz not null default now()
)`;

const LEDGERS: Record<MigrationLayout, string> = {
  prisma: PRISMA_LEDGER,
  supabase: SUPABASE_LEDGER,
  platform: PLATFORM_LEDGER,
};

/**
 * The database session ended under the runner (pg_terminate_backend, a server restart, a dropped connection): the
 * migration in progress, if any, was not committed; those before it were. Running again applies the rest.
 */
export class MigrationSessionLostError extends Error {
  constructor(
    readonly database: string,
    readonly migration: string | null,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const during = migration ? `while applying migration ${migration}, which was not committed` : 'before any migration was applied in this run';
    super(`The session on database "${database}" ended (${reason}) ${during}; migrations applied before it stay applied. Run the migrations again.`, { cause });
    this.name = 'MigrationSessionLostError';
  }
}

/** Any constant works; it only has to be the same for every process applying migrations. */
const ADVISORY_LOCK_KEY = 727_310_001;

/**
 * Applies plain SQL migrations and records them where their own tool would, so that a real
 * `prisma migrate deploy` or `supabase db push` elsewhere sees them as applied.
 * Each migration runs in one transaction together with its ledger row: all of it or nothing.
 * An advisory lock serialises concurrent runners.
 */
export class SqlMigrationRunner {
  constructor(
    private readonly layout: MigrationLayout,
    private readonly dir: string,
  ) {}

  async run(connectionString: string): Promise<MigrationRunResult> {
    const migrations = readMigrationFiles(this.layout, this.dir);
    const client = new Client({ connectionString });
    // pg emits 'error' when the session ends under it; without a listener that event would crash the process.
    // The failing query rejects on its own; the event only tells that the session is gone.
    let lost: Error | undefined;
    client.on('error', (error) => {
      lost ??= error;
    });
    let current: string | null = null;
    await client.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
      await client.query(LEDGERS[this.layout]);
      const recorded = await this.recordedChecksums(client);
      const result: MigrationRunResult = { applied: [], alreadyApplied: [] };
      for (const migration of migrations) {
        const checksum = recorded.get(migration.id);
        if (checksum !== undefined) {
          if (checksum !== null && checksum !== migration.checksum) throw new MigrationChecksumError(migration.id);
          result.alreadyApplied.push(migration.id);
          continue;
        }
        current = migration.id;
        await this.apply(client, migration);
        result.applied.push(migration.id);
        current = null;
      }
      return result;
    } catch (error) {
      if (lost || sessionEnded(error)) throw new MigrationSessionLostError(databaseNameOf(connectionString), current, lost && !sessionEnded(error) ? lost : rootCause(error));
      throw error;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => undefined);
      await client.end();
    }
  }

  private async recordedChecksums(client: Client): Promise<Map<string, string | null>> {
    if (this.layout === 'prisma') {
      const { rows } = await client.query<{ migration_name: string; checksum: string }>(
        'select migration_name, checksum from "_prisma_migrations" where rolled_back_at is null and finished_at is not null',
      );
      return new Map(rows.map((row) => [row.migration_name, row.checksum]));
    }
    if (this.layout === 'platform') {
      const { rows } = await client.query<{ version: string; checksum: string }>(
        'select version, checksum from dual_write_schema_migrations',
      );
      return new Map(rows.map((row) => [row.version, row.checksum]));
    }
    // The Supabase CLI records statements, not a checksum: an applied version is taken as is.
    const { rows } = await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
    return new Map(rows.map((row) => [row.version, null]));
  }

  private async apply(client: Client, migration: MigrationFile): Promise<void> {
    await client.query('begin');
    try {
      await client.query(migration.sql);
      if (this.layout === 'prisma') {
        await client.query(
          `insert into "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
           values ($1, $2, now(), $3, 1)`,
          [randomUUID(), migration.checksum, migration.id],
        );
      } else if (this.layout === 'platform') {
        await client.query('insert into dual_write_schema_migrations (version, name, checksum) values ($1, $2, $3)', [
          migration.id,
          migration.name,
          migration.checksum,
        ]);
      } else {
        await client.query(
          'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
          [migration.id, migration.name, [migration.sql]],
        );
      }
      await client.query('commit');
    } catch (error) {
      // On a session that ended the rollback fails too; the server has rolled back already, and the first error says why.
      await client.query('rollback').catch(() => undefined);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Migration ${migration.id} failed and was rolled back: ${reason}`, { cause: error });
    }
  }
}

/** The server ended the session (admin shutdown, crash shutdown, cannot connect now: SQLSTATE class 57P). */
function sessionEnded(error: unknown): boolean {
  const code = (rootCause(error) as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('57P');
}

function rootCause(error: unknown): unknown {
  return error instanceof Error && error.cause !== undefined ? error.cause : error;
}
