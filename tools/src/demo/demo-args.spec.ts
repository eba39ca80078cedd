import { UsageError } from '../cli/args';
import { parseDemoArgs } from './demo-args';

describe('parseDemoArgs', () => {
  it('runs without flags and helps with --help', () => {
    expect(parseDemoArgs([])).toEqual({ kind: 'run' });
    expect(parseDemoArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it('refuses any flag, naming it', () => {
    expect(() => parseDemoArgs(['--fast'])).toThrow(new UsageError("Unknown option '--fast'"));
  });
});
