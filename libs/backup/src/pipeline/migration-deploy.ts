import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { SqlMigrationRunner, type MigrationRunResult } from '../migrations/sql-migration-runner';
import { withConnectionRetry } from './connection-retry';
import { withApplicationName, withDatabase } from './database-url';
import type { PipelineLimits, PipelineTarget } from './pipeline-target';
import { runWithTimeout } from './step-timeout';

/**
 * `db:migration:deploy`: applies the pending migrations with the project's SqlMigrationRunner (each migration in
 * one transaction with its ledger row). Connections it cannot make are retried; past MIGRATION_TIMEOUT its
 * database sessions (tagged with a run-unique application_name) are terminated, so the server rolls back the
 * migration running at that moment, and the step fails with StepTimeoutError. Migrations that committed before
 * stay applied: undoing them is the pipeline's rollback (restoring the backup).
 */
export async function deployMigrations(target: PipelineTarget, limits: PipelineLimits): Promise<MigrationRunResult> {
  const applicationName = `dw-migrate-${randomBytes(6).toString('hex')}`;
  const runner = new SqlMigrationRunner(target.layout, target.migrationsDir);
  return runWithTimeout(
    'deploy',
    limits.stepTimeoutMs,
    (signal) => withConnectionRetry(target.databaseUrl, () => runner.run(withApplicationName(target.databaseUrl, applicationName)), limits.retry, signal),
    () => terminateSessions(target.databaseUrl, applicationName),
  );
}

/** Terminates the sessions tagged `applicationName`; their open transactions roll back. */
async function terminateSessions(databaseUrl: string, applicationName: string): Promise<string> {
  const client = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
      [applicationName],
    );
    return `the running migration was stopped (${rowCount ?? 0} session(s) terminated, its transaction rolled back)`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
