import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { ensureDatabase, redactUrl } from './databases';

const root = path.resolve(__dirname, '..', '..', '..');

/** Store A's database and the control database: created when missing, every migration applied. */
export async function prepareStoreA(urls: { primary: string; control: string }, log: (line: string) => void): Promise<void> {
  await ensureDatabase(urls.primary, log);
  const primary = await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(urls.primary);
  log(`store A migrations (${redactUrl(urls.primary)}): ${primary.applied.length} applied, ${primary.alreadyApplied.length} already applied`);
  if (urls.control !== urls.primary) await ensureDatabase(urls.control, log);
  const platform = await new SqlMigrationRunner('platform', path.join(root, 'libs', 'dual-write', 'migrations')).run(urls.control);
  log(`control tables (${redactUrl(urls.control)}): ${platform.applied.length} applied, ${platform.alreadyApplied.length} already applied`);
  // Reconciliation's runs and findings live beside the ledger; the phase gates read them.
  const reconcile = await new SqlMigrationRunner('platform', path.join(root, 'libs', 'reconcile', 'migrations')).run(urls.control);
  log(`reconcile tables: ${reconcile.applied.length} applied, ${reconcile.alreadyApplied.length} already applied`);
}

/** The local Supabase endpoint's database: created when missing, its roles bootstrapped, store B's migrations applied. */
export async function prepareLocalStoreB(dbUrl: string, log: (line: string) => void): Promise<void> {
  await ensureDatabase(dbUrl, log);
  const client = new Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query(readFileSync(path.join(root, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8'));
  } finally {
    await client.end();
  }
  const secondary = await new SqlMigrationRunner('supabase', path.join(root, 'supabase', 'migrations')).run(dbUrl);
  log(`store B migrations (${redactUrl(dbUrl)}): ${secondary.applied.length} applied, ${secondary.alreadyApplied.length} already applied`);
}
