import path from 'node:path';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { addressOf, ensureService, isLoopback } from './local-services';
import { ensurePrismaClient } from './prisma-client';
import { prepareLocalStoreB, prepareStoreA } from './store-databases';
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

async function run({ restartSupabaseLocal }: { restartSupabaseLocal: boolean }): Promise<void> {
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();

  await ensureService('postgresql', addressOf(config.primaryDatabaseUrl, 5432), log);
  await ensureService('redis', addressOf(config.redisUrl, 6379), log);

  await prepareStoreA({ primary: config.primaryDatabaseUrl, control: config.controlDatabaseUrl }, log);
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
  await prepareLocalStoreB(supabase.dbUrl, log);

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
