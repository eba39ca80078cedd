import { UsageError } from './args';
import { parseToggleArgs } from './toggle-args';

describe('parseToggleArgs', () => {
  it('reads the runbook flags into a change', () => {
    expect(parseToggleArgs(['--dual-write=on', '--primary=supabase', '--reason', 'phase 3', '--expected-version=7'])).toEqual({
      kind: 'change',
      next: { enableDualWrite: true, enableSupabasePrimary: true },
      reason: 'phase 3',
      expectedVersion: 7,
    });
  });

  it('changes only the flags given', () => {
    expect(parseToggleArgs(['--primary', 'prisma', '--reason=back'])).toEqual({ kind: 'change', next: { enableSupabasePrimary: false }, reason: 'back' });
  });

  it('reads --force: past the phase gates, with the reason on the record', () => {
    expect(parseToggleArgs(['--dual-write=off', '--reason', 'rehearsal', '--force'])).toEqual({ kind: 'change', next: { enableDualWrite: false }, reason: 'rehearsal', force: true });
  });

  it('shows the current flags when no flag is given', () => {
    expect(parseToggleArgs([])).toEqual({ kind: 'show' });
  });

  it.each([
    [['--dual-write=yes', '--reason', 'x'], '--dual-write must be one of on|off, got "yes"'],
    [['--primary=oracle', '--reason', 'x'], '--primary must be one of prisma|supabase, got "oracle"'],
    [['--dual-write=on', '--reason', '  '], '--reason is required when changing flags: say why (it goes in the flag history)'],
    [['--dual-write=on', '--reason', 'x', '--expected-version=-1'], '--expected-version must be a non-negative integer (the version the flags are at), got "-1"'],
    [['--reason', 'x'], '--reason, --expected-version and --force go with a change: add --dual-write=on|off and/or --primary=prisma|supabase'],
    [['--force'], '--reason, --expected-version and --force go with a change: add --dual-write=on|off and/or --primary=prisma|supabase'],
  ])('refuses %j with one line naming the flag', (argv, message) => {
    expect(() => parseToggleArgs(argv)).toThrow(new UsageError(message));
  });

  it('refuses an unknown option naming it', () => {
    expect(() => parseToggleArgs(['--dualwrite=on'])).toThrow(/Unknown option '--dualwrite'/);
  });
});
