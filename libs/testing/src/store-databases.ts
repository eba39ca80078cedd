import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { prepareControlDatabase } from './control-database';
import { startEntryProcess, type EntryProcess } from './entry-process';
import { eventually } from '@dualwrite/stores/testing';
import { onDatabase, scratchDatabaseUrl } from './scratch-databases';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface StoreDatabaseNames {
  a: string;
  b: string;
  control: string;
}

/**
 * A suite's own databases on the specs' server: store A with prisma/migrations, store B with supabase-local's
 * bootstrap (roles, auth.uid()) and supabase/migrations, and a control database with the platform's tables plus
 * `controlMigrations` (folders of platform migrations, e.g. RECONCILE_MIGRATIONS_DIR). Returns the control URL.
 */
export async function createStoreDatabases(names: StoreDatabaseNames, controlMigrations: string[] = []): Promise<string> {
  await onDatabase('postgres', `create database "${names.a}"`);
  await onDatabase('postgres', `create database "${names.b}"`);
  await new SqlMigrationRunner('prisma', path.join(ROOT, 'prisma', 'migrations')).run(scratchDatabaseUrl(names.a));
  await onDatabase(names.b, readFileSync(path.join(ROOT, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8'));
  await new SqlMigrationRunner('supabase', path.join(ROOT, 'supabase', 'migrations')).run(scratchDatabaseUrl(names.b));
  const controlUrl = await prepareControlDatabase(names.control);
  for (const dir of controlMigrations) await new SqlMigrationRunner('platform', dir).run(controlUrl);
  return controlUrl;
}

/** Drops the suite's databases (their sessions ended with them). */
export async function dropDatabases(names: Record<string, string>): Promise<void> {
  for (const name of Object.values(names)) await onDatabase('postgres', `drop database if exists "${name}" with (force)`);
}

/** A supabase-local process of the suite's own (a free port) over store B's database; `url` is where it serves. */
export async function startSupabaseLocal(databaseUrl: string): Promise<{ endpoint: EntryProcess; url: string }> {
  const endpoint = startEntryProcess('tools/supabase-local/src/main.ts', { SUPABASE_LOCAL_PORT: '0', SUPABASE_DB_URL: databaseUrl });
  const url = await eventually(async () => /serving (http:\/\/[^\s]+)\/rest\/v1/.exec(endpoint.stdout())?.[1], 30_000).catch(() => {
    throw new Error(`supabase-local did not start: ${endpoint.stdout()}`);
  });
  return { endpoint, url };
}

/** Stops a supabase-local started by startSupabaseLocal. */
export async function stopSupabaseLocal(endpoint: EntryProcess | undefined): Promise<void> {
  if (!endpoint) return;
  endpoint.kill('SIGTERM');
  await endpoint.finished;
}
