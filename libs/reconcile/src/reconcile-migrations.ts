import path from 'node:path';

/**
 * libs/reconcile/migrations: the reconcile_runs and reconcile_findings tables, for the control database, in the
 * platform layout (`<timestamp>_<name>.sql`, recorded in `dual_write_schema_migrations`). Entry points apply
 * them with SqlMigrationRunner from @dualwrite/backup (`new SqlMigrationRunner('platform', RECONCILE_MIGRATIONS_DIR)`):
 * the module boundaries keep this lib from depending on the backup lib.
 */
export const RECONCILE_MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');
