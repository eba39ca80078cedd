import path from 'node:path';
import { loadEnvFiles } from '@dualwrite/config';
import { readSupabaseLocalConfig } from './config';
import { startSupabaseLocal } from './server';

/** `npm run supabase-local`: serves /rest/v1 on 127.0.0.1:SUPABASE_LOCAL_PORT over SUPABASE_DB_URL until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  loadEnvFiles(path.resolve(__dirname, '..', '..', '..'));
  const config = readSupabaseLocalConfig();
  const endpoint = await startSupabaseLocal(config);
  const database = new URL(config.databaseUrl);
  process.stdout.write(
    `[supabase-local] serving ${endpoint.url}/rest/v1 over ${database.host}${database.pathname} (schemas: ${(config.schemas ?? ['public']).join(', ')})\n`,
  );
  const stop = (signal: NodeJS.Signals) => {
    process.stdout.write(`[supabase-local] ${signal}: shutting down\n`);
    endpoint.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[supabase-local] shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[supabase-local] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
