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
 * database sessions (tagged with a run-unique application_name) are cancelled, so the migration running at that
 * moment is rolled back, and the step fails with StepTimeoutError. Migrations that committed before
 * stay applied: undoing them is the pipeline's rollback (restoring the backup).
 */
export async function deployMigrations(target: PipelineTarget, limits: PipelineLimits): Promise<MigrationRunResult> {
  const applicationName = `dw-migrate-${randomBytes(6).toString('hex')}`;
  const runner = new SqlMigrationRunner(target.layout, target.migrationsDir);
  return runWithTimeout(
    'deploy',
    limits.stepTimeoutMs,
    (signal) => withConnectionRetry(target.databaseUrl, () => runner.run(withApplicationName(target.databaseUrl, applicationName)), limits.retry, signal),
    () => stopSessions(target.databaseUrl, applicationName),
  );
}

/**
 * Stops the sessions tagged `applicationName`: their running statement is cancelled (the runner then rolls the
 * migration's transaction back and gives up), again until they have closed; after `patienceMs`, terminated.
 */
async function stopSessions(databaseUrl: string, applicationName: string, patienceMs = 10_000): Promise<string> {
  const client = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const deadline = Date.now() + patienceMs;
    let cancelled = 0;
    for (;;) {
      const { rows } = await client.query<{ cancelled: boolean }>(
        'select pg_cancel_backend(pid) as cancelled from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
        [applicationName],
      );
      if (rows.length === 0) break;
      cancelled = Math.max(cancelled, rows.length);
      if (Date.now() > deadline) {
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]);
        return `the running migration did not stop when cancelled; its session was terminated (transaction rolled back)`;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return `the running migration was cancelled and its transaction rolled back (${cancelled} session(s))`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
