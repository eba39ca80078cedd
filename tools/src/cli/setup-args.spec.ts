import { UsageError } from './args';
import { parseSetupArgs } from './setup-args';

describe('parseSetupArgs', () => {
  it('without flags prepares everything and leaves a running local Supabase endpoint alone', () => {
    expect(parseSetupArgs([])).toEqual({ kind: 'run', restartSupabaseLocal: false });
  });

  it('--restart-supabase-local asks for a restart of the local Supabase endpoint', () => {
    expect(parseSetupArgs(['--restart-supabase-local'])).toEqual({ kind: 'run', restartSupabaseLocal: true });
  });

  it('asks for help with --help or -h', () => {
    expect(parseSetupArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseSetupArgs(['-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--nonsense'], "Unknown option '--nonsense'"],
    [['--restart-supabase'], "Unknown option '--restart-supabase'"],
    [['--restart-supabase-local=yes'], "Option '--restart-supabase-local' does not take an argument"],
    [['restart'], "Unexpected argument 'restart'. This command does not take positional arguments"],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseSetupArgs(argv)).toThrow(new UsageError(message));
  });
});
