import { UsageError, parseFlags } from './args';

/** The db:* commands: one pipeline step each, and db:migrate for the chain. */
export type DbCommand = 'db:backup' | 'db:migration:check' | 'db:migration:deploy' | 'db:migration:validate' | 'db:health:check' | 'db:migrate';

export type DbStore = 'prisma' | 'supabase';

export type DbRequest = { kind: 'help' } | { kind: 'run'; store: DbStore; json: boolean };

const WHAT: Record<DbCommand, string> = {
  'db:backup': 'take the backup the pipeline restores on failure (BackupService full backup + snapshot of the managed tables)',
  'db:migration:check': 'pending migrations, edited or unknown ones, and drift (database vs applied migrations; store A also schema.prisma vs migrations)',
  'db:migration:deploy': 'apply the pending migrations under MIGRATION_TIMEOUT (no backup, no rollback: db:migrate is the guarded chain)',
  'db:migration:validate': 'the schema every migration builds (tables, columns, indexes, constraints, RLS, policies) and an entity smoke test (rolled back)',
  'db:health:check': 'the database answers, takes writes, and every entity table reads',
  'db:migrate': 'check → backup → deploy → validate → health; after the backup, a failure restores it (ROLLBACK_ENABLED) and POSTs a JSON notification (NOTIFICATION_WEBHOOK)',
};

export function dbUsage(command: DbCommand): string {
  return [
    `usage: npm run ${command} -- [--store=prisma|supabase] [--json]`,
    `  ${WHAT[command]}`,
    '  --store  prisma: store A (PRIMARY_DATABASE_URL, prisma/migrations; default); supabase: store B (SUPABASE_DB_URL, supabase/migrations)',
    '  --json   print the report as JSON on stdout',
    '  exit codes: 0 done, 1 failed (the report says why), 2 bad command line, 78 bad configuration',
  ].join('\n');
}

/** Reads a db:* command line; throws UsageError naming the flag before anything is read or changed. */
export function parseDbArgs(argv: string[]): DbRequest {
  const values = parseFlags(argv, {
    store: { type: 'string', default: 'prisma' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  if (values.store !== 'prisma' && values.store !== 'supabase') throw new UsageError(`--store must be one of prisma|supabase, got "${values.store}"`);
  return { kind: 'run', store: values.store, json: values.json };
}
