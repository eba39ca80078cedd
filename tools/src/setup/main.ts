import path from 'node:path';
import { Client } from 'pg';
import { readFileSync } from 'node:fs';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { ensureDatabase, redactUrl } from './databases';
import { addressOf, ensureService, isLoopback } from './local-services';
import { ensurePrismaClient } from './prisma-client';
import { ensureSupabaseLocal, stopSupabaseLocal } from './supabase-local-process';
import { readCommandLine } from '../cli/args';
import { SETUP_USAGE, parseSetupArgs } from '../cli/setup-args';

/**
 * `npm run setup`: idempotent preparation of a development or CI machine.
 * PostgreSQL and Redis up, databases created, both stores' migrations applied, Prisma client
 * generated, local Supabase endpoint running. Flags: --restart-supabase-local, --help (SETUP_USAGE in
 * tools/src/cli/setup-args.ts); a bad command line exits 2 before anything is checked or started.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const log = (line: string) => process.stdout.write(`[setup] ${line}\n`);

async function applySupabaseBootstrap(dbUrl: string): Promise<void> {
  const client = new Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query(readFileSync(path.join(root, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8'));
  } finally {
    await client.end();
  }
}

async function run({ restartSupabaseLocal }: { restartSupabaseLocal: boolean }): Promise<void> {
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();

  await ensureService('postgresql', addressOf(config.primaryDatabaseUrl, 5432), log);
  await ensureService('redis', addressOf(config.redisUrl, 6379), log);

  await ensureDatabase(config.primaryDatabaseUrl, log);
  const primary = await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(
    config.primaryDatabaseUrl,
  );
  log(`store A migrations (${redactUrl(config.primaryDatabaseUrl)}): ${primary.applied.length} applied, ${primary.alreadyApplied.length} already applied`);
  if (config.controlDatabaseUrl !== config.primaryDatabaseUrl) await ensureDatabase(config.controlDatabaseUrl, log);
  const platform = await new SqlMigrationRunner('platform', path.join(root, 'libs', 'dual-write', 'migrations')).run(
    config.controlDatabaseUrl,
  );
  log(`control tables (${redactUrl(config.controlDatabaseUrl)}): ${platform.applied.length} applied, ${platform.alreadyApplied.length} already applied`);
  // Reconciliation's runs and findings live beside the ledger; the phase gates read them.
  const reconcile = await new SqlMigrationRunner('platform', path.join(root, 'libs', 'reconcile', 'migrations')).run(config.controlDatabaseUrl);
  log(`reconcile tables: ${reconcile.applied.length} applied, ${reconcile.alreadyApplied.length} already applied`);
  ensurePrismaClient(config.primaryDatabaseUrl, log);

  const supabase = config.supabase;
  if (!supabase) {
    log('store B: SUPABASE_URL not set, running degraded on store A only');
    return;
  }
  const endpoint = addressOf(supabase.url, 443);
  if (!isLoopback(endpoint.host)) {
    log(`store B: remote Supabase project ${supabase.url}; apply supabase/migrations with \`supabase db push\``);
    return;
  }
  if (!supabase.dbUrl) throw new Error('SUPABASE_DB_URL is missing: the local Supabase endpoint needs its database.');
  await ensureDatabase(supabase.dbUrl, log);
  await applySupabaseBootstrap(supabase.dbUrl);
  const secondary = await new SqlMigrationRunner('supabase', path.join(root, 'supabase', 'migrations')).run(
    supabase.dbUrl,
  );
  log(`store B migrations (${redactUrl(supabase.dbUrl)}): ${secondary.applied.length} applied, ${secondary.alreadyApplied.length} already applied`);

  if (restartSupabaseLocal && (await stopSupabaseLocal(endpoint))) {
    log('supabase-local: stopped for restart');
  }
  await ensureSupabaseLocal(endpoint, log);
}

async function main(): Promise<void> {
  const request = readCommandLine(parseSetupArgs, SETUP_USAGE);
  if (request) await run(request);
}

main().catch((error: unknown) => {
  process.stderr.write(`[setup] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
