import type { DualWriteFlags } from '@dualwrite/dual-write';
import { UsageError, integerFlag, parseFlags } from './args';

export type ToggleRequest =
  | { kind: 'show' }
  | { kind: 'help' }
  | { kind: 'change'; next: Partial<DualWriteFlags>; reason: string; expectedVersion?: number; force?: boolean };

export const TOGGLE_USAGE = [
  'usage: npm run toggle-feature-flags -- [--dual-write=on|off] [--primary=prisma|supabase] --reason "why" [--expected-version N] [--force]',
  '  no flags: print the current flags and mode',
  '  only neighbouring phases are steps; 2→3 and 3→4 need every entity copied (copy-data) and reconciled clean since,',
  '  4→3 the reverse copy (copy-data --from=b): --force overrides a refused gate, and the history records what it overrode',
  '  phase 1: --dual-write=off --primary=prisma    phase 2: --dual-write=on --primary=prisma',
  '  phase 3: --dual-write=on --primary=supabase   phase 4: --dual-write=off --primary=supabase',
].join('\n');

const ON_OFF: Record<string, boolean> = { on: true, off: false };
const PRIMARY: Record<string, boolean> = { prisma: false, supabase: true };

function choice(flag: string, value: string | undefined, allowed: Record<string, boolean>): boolean | undefined {
  if (value === undefined) return undefined;
  const names = Object.keys(allowed);
  if (!Object.hasOwn(allowed, value)) {
    throw new UsageError(`${flag} must be one of ${names.join('|')}, got "${value}"`);
  }
  return allowed[value];
}

/** Reads the command line into what to do; throws UsageError before anything is read or written. */
export function parseToggleArgs(argv: string[]): ToggleRequest {
  const values = parseFlags(argv, {
    'dual-write': { type: 'string' },
    primary: { type: 'string' },
    reason: { type: 'string' },
    'expected-version': { type: 'string' },
    force: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };

  const enableDualWrite = choice('--dual-write', values['dual-write'], ON_OFF);
  const enableSupabasePrimary = choice('--primary', values.primary, PRIMARY);
  const expectedVersionText = values['expected-version'];
  const expectedVersion =
    expectedVersionText === undefined ? undefined : integerFlag('--expected-version', expectedVersionText, { allowZero: true, meaning: 'the version the flags are at' });

  const next: Partial<DualWriteFlags> = {
    ...(enableDualWrite === undefined ? {} : { enableDualWrite }),
    ...(enableSupabasePrimary === undefined ? {} : { enableSupabasePrimary }),
  };
  if (Object.keys(next).length === 0) {
    if (values.reason !== undefined || expectedVersion !== undefined || values.force) {
      throw new UsageError('--reason, --expected-version and --force go with a change: add --dual-write=on|off and/or --primary=prisma|supabase');
    }
    return { kind: 'show' };
  }
  const reason = values.reason?.trim() ?? '';
  if (reason === '') throw new UsageError('--reason is required when changing flags: say why (it goes in the flag history)');
  return { kind: 'change', next, reason, ...(expectedVersion === undefined ? {} : { expectedVersion }), ...(values.force ? { force: true } : {}) };
}
