import { UsageError } from './args';
import { dbUsage, parseDbArgs } from './db-args';

describe('parseDbArgs (db:* commands)', () => {
  it('runs on store A by default, human output', () => {
    expect(parseDbArgs([])).toEqual({ kind: 'run', store: 'prisma', json: false });
  });

  it('takes --store=supabase and --json', () => {
    expect(parseDbArgs(['--store=supabase', '--json'])).toEqual({ kind: 'run', store: 'supabase', json: true });
  });

  it('refuses another store, naming the flag and the choices', () => {
    expect(() => parseDbArgs(['--store=oracle'])).toThrow(new UsageError('--store must be one of prisma|supabase, got "oracle"'));
  });

  it('refuses an unknown flag and a positional argument', () => {
    expect(() => parseDbArgs(['--force'])).toThrow(UsageError);
    expect(() => parseDbArgs(['prisma'])).toThrow(UsageError);
  });

  it('--help asks for the usage, whose first line names the command', () => {
    expect(parseDbArgs(['--help'])).toEqual({ kind: 'help' });
    expect(dbUsage('db:migration:check').split('\n')[0]).toBe('usage: npm run db:migration:check -- [--store=prisma|supabase] [--json]');
  });
});
