import { parseFlags } from './args';

/** What `npm run setup` was asked to do (tools/src/setup/main.ts). */
export type SetupRequest = { kind: 'help' } | { kind: 'run'; restartSupabaseLocal: boolean };

export const SETUP_USAGE = [
  'usage: npm run setup -- [--restart-supabase-local]',
  '  prepares PostgreSQL, Redis, both databases and their migrations, the Prisma client and the local Supabase endpoint (idempotent)',
  '  --restart-supabase-local   stop the running local Supabase endpoint and start it again (after a change to its code)',
].join('\n');

/** Reads setup's command line; throws UsageError naming the flag before anything is checked or started. */
export function parseSetupArgs(argv: string[]): SetupRequest {
  const values = parseFlags(argv, {
    'restart-supabase-local': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  return { kind: 'run', restartSupabaseLocal: values['restart-supabase-local'] };
}
