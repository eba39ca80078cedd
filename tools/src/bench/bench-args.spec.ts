import { UsageError } from '../cli/args';
import { parseBenchArgs } from './bench-args';

const defaults = { kind: 'run', seconds: 15, concurrency: 16, burstRate: 1000, burstSeconds: 30, connections: 64, modes: ['1', '4', '2'], latencyRate: 200, rounds: 3, latencyRounds: 6, control: true, flip: { rate: 300, seconds: 12 } };

describe('parseBenchArgs', () => {
  it('without flags gives the documented defaults and the configured secondary timeout', () => {
    const request = parseBenchArgs([]);
    expect(request).toEqual(defaults);
    expect(request).not.toHaveProperty('secondaryTimeoutMs');
  });

  it('reads every flag the README and BENCHMARKS.md name', () => {
    expect(
      parseBenchArgs([
        '--seconds=30',
        '--concurrency=8',
        '--burst-rate=500',
        '--burst-seconds=10',
        '--connections=32',
        '--modes=2,1',
        '--latency-rate=100',
        '--rounds=5',
        '--latency-rounds=4',
        '--secondary-timeout-ms=0',
        '--no-control',
        '--flip-rate=100',
        '--flip-seconds=6',
      ]),
    ).toEqual({
      kind: 'run',
      seconds: 30,
      concurrency: 8,
      burstRate: 500,
      burstSeconds: 10,
      connections: 32,
      modes: ['2', '1'],
      latencyRate: 100,
      rounds: 5,
      latencyRounds: 4,
      control: false,
      secondaryTimeoutMs: 0,
      flip: { rate: 100, seconds: 6 },
    });
  });

  it('runs the flip phase by default, with either flag alone, and skips it with --no-flip', () => {
    expect(parseBenchArgs(['--flip-rate=50'])).toEqual({ ...defaults, flip: { rate: 50, seconds: 12 } });
    expect(parseBenchArgs(['--flip-seconds', '20'])).toEqual({ ...defaults, flip: { rate: 300, seconds: 20 } });
    expect(parseBenchArgs(['--no-flip'])).toEqual({ ...defaults, flip: null });
  });

  it('takes a value after a space as well as after =', () => {
    expect(parseBenchArgs(['--seconds', '20', '--secondary-timeout-ms', '250'])).toEqual({ ...defaults, seconds: 20, secondaryTimeoutMs: 250 });
  });

  it('asks for help with --help or -h', () => {
    expect(parseBenchArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseBenchArgs(['-h', '--seconds=abc'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--nonsense'], "Unknown option '--nonsense'"],
    [['--seconds=abc'], '--seconds must be a positive integer, got "abc"'],
    [['--seconds=0'], '--seconds must be a positive integer, got "0"'],
    [['--concurrency=2.5'], '--concurrency must be a positive integer, got "2.5"'],
    [['--burst-rate=-1'], '--burst-rate must be a positive integer, got "-1"'],
    [['--burst-seconds='], '--burst-seconds must be a positive integer, got ""'],
    [['--connections=lots'], '--connections must be a positive integer, got "lots"'],
    [['--latency-rate=1e3'], '--latency-rate must be a positive integer, got "1e3"'],
    [['--rounds=0'], '--rounds must be a positive integer, got "0"'],
    [['--latency-rounds=x'], '--latency-rounds must be a positive integer, got "x"'],
    [['--secondary-timeout-ms=-5'], '--secondary-timeout-ms must be a non-negative integer, got "-5"'],
    [['--flip-rate=0'], '--flip-rate must be a positive integer, got "0"'],
    [['--flip-seconds=1.5'], '--flip-seconds must be a positive integer, got "1.5"'],
    [['--no-flip', '--flip-rate=300'], '--no-flip skips the flip phase: drop --flip-rate and --flip-seconds, or --no-flip'],
    [['--flip-seconds=6', '--no-flip'], '--no-flip skips the flip phase: drop --flip-rate and --flip-seconds, or --no-flip'],
    [['--no-flip=yes'], "Option '--no-flip' does not take an argument"],
    [['--modes=1,3'], '--modes takes 1, 4 and 2 separated by commas, got "1,3"'],
    [['--modes='], '--modes takes 1, 4 and 2 separated by commas, got ""'],
    [['--seconds'], "Option '--seconds <value>' argument missing"],
    [['30'], "Unexpected argument '30'. This command does not take positional arguments"],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(new UsageError(message));
  });
});
