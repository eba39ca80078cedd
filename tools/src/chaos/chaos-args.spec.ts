import { UsageError } from '../cli/args';
import { CHAOS_MIN_SECONDS, parseChaosArgs } from './chaos-args';

describe('parseChaosArgs', () => {
  it('runs with the defaults: 60 writes/s for as long as the fault schedule needs, the guard off', () => {
    expect(parseChaosArgs([])).toEqual({ kind: 'run', rate: 60, seconds: CHAOS_MIN_SECONDS, rollbackGuard: false, settleSeconds: 240 });
  });

  it('reads every flag', () => {
    expect(parseChaosArgs(['--rate=120', '--seconds=90', '--settle-seconds=300', '--rollback-guard'])).toEqual({ kind: 'run', rate: 120, seconds: 90, rollbackGuard: true, settleSeconds: 300 });
  });

  it('refuses a run shorter than the fault schedule, naming the flag and the least it takes', () => {
    expect(() => parseChaosArgs(['--seconds=30'])).toThrow(new UsageError(`--seconds must be at least ${CHAOS_MIN_SECONDS} (the faults run in the first ${CHAOS_MIN_SECONDS - 8} s), got 30`));
  });

  it('refuses a rate that is not a positive whole number, and an unknown flag', () => {
    expect(() => parseChaosArgs(['--rate=fast'])).toThrow('--rate must be a positive integer, got "fast"');
    expect(() => parseChaosArgs(['--kill-postgres'])).toThrow(UsageError);
  });
});
