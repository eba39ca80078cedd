import { parseFlags } from '../cli/args';

/** The demo takes no flags: `--help` explains it, anything else is refused before anything starts. */
export type DemoRequest = { kind: 'help' } | { kind: 'run' };

export const DEMO_USAGE = [
  'usage: npm run demo',
  '  sets up, starts the api and the worker, walks the four phases with traffic and an outage of the local Supabase endpoint,',
  '  checks both stores row for row, rolls back to phase 1 and prints a diff summary; exits 0 when every step holds',
].join('\n');

export function parseDemoArgs(argv: string[]): DemoRequest {
  const values = parseFlags(argv, { help: { type: 'boolean', short: 'h', default: false } });
  return values.help ? { kind: 'help' } : { kind: 'run' };
}
