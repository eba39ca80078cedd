import { UsageError, integerFlag, parseFlags } from '../cli/args';

/** The modes the benchmark can measure, in its default order (the burst always runs in mode 2). */
export const BENCH_MODES = ['1', '4', '2'] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

export interface BenchOptions {
  /** Seconds of full load (and again of steady load) per mode, split over the rounds. */
  seconds: number;
  /** Callers of the closed loop at full load. */
  concurrency: number;
  /** Requests per second of the open-loop burst in mode 2, and how long it lasts. */
  burstRate: number;
  burstSeconds: number;
  /** Kept-alive connections of the client's pool. */
  connections: number;
  modes: BenchMode[];
  /** Writes per second of the steady (open-loop) latency measurement. */
  latencyRate: number;
  /** Rounds the modes take turns in at full load. */
  rounds: number;
  /** Rounds the modes take turns in at the steady rate (a pass of its own, after the full load's). */
  latencyRounds: number;
  /**
   * The steady pass measures the first single-store mode twice, as two series taking turns with the others: how far
   * apart two measurements of the same path land shows what a difference between modes is worth on this machine.
   */
  control: boolean;
  /** The api's SECONDARY_TIMEOUT_MS for the run; undefined: the configured one. */
  secondaryTimeoutMs?: number;
  /** The flip of the primary (phase 2 → 3) under an open-loop write load, and back; null with --no-flip. */
  flip: FlipOptions | null;
}

export interface FlipOptions {
  /** Writes per second of the load that runs through the flip. */
  rate: number;
  /** How long the load lasts; the flip starts a few seconds in. */
  seconds: number;
}

const FLIP_DEFAULTS = { rate: '300', seconds: '12' };

export type BenchRequest = { kind: 'help' } | ({ kind: 'run' } & BenchOptions);

export const BENCH_USAGE = [
  'usage: npm run bench:dual-write -- [--seconds=15] [--concurrency=16] [--burst-rate=1000] [--burst-seconds=30] [--connections=64] [--modes=1,4,2] [--latency-rate=200] [--rounds=3] [--latency-rounds=6] [--secondary-timeout-ms=N] [--no-control] [--flip-rate=300] [--flip-seconds=12] [--no-flip]',
  '  --seconds=15               seconds of full load per mode (and as long again at the steady rate), split over the rounds',
  '  --concurrency=16           callers of the closed loop at full load',
  '  --burst-rate=1000          requests per second of the open-loop burst in mode 2',
  '  --burst-seconds=30         how long the burst lasts',
  '  --connections=64           kept-alive connections of the client pool (like a load balancer in front of the api)',
  '  --modes=1,4,2              modes to measure, in that order: 1 (store A only), 4 (store B only), 2 (dual write)',
  '  --latency-rate=200         writes per second of the steady latency measurement',
  '  --rounds=3                 rounds the modes take turns in at full load',
  '  --latency-rounds=6         rounds the modes take turns in at the steady rate, each round led by the next mode',
  '  --secondary-timeout-ms=N   the api\'s SECONDARY_TIMEOUT_MS for the run, 0 or more (default: the configured one)',
  '  --no-control               skip the steady pass\'s control series (the first single-store mode measured a second time,',
  '                             its rounds taking turns with the others: the gap between two measurements of one path)',
  '  --flip-rate=300            writes per second of the open-loop load in mode 2 during which the primary flips to store B',
  '                             (phase 3, PUT /admin/flags through the fenced barrier) and, once the load stopped, back to phase 2',
  '  --flip-seconds=12          how long that load lasts; the flip starts 3 s in (a quarter in when shorter)',
  '  --no-flip                  skip the flip phase (then --flip-rate and --flip-seconds are refused)',
  '  every number is a whole number above zero, except --secondary-timeout-ms, which may be 0',
].join('\n');

function isBenchMode(value: string): value is BenchMode {
  return (BENCH_MODES as readonly string[]).includes(value);
}

/** Reads the benchmark's command line; throws UsageError naming the flag before anything starts. */
export function parseBenchArgs(argv: string[]): BenchRequest {
  const values = parseFlags(argv, {
    seconds: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '16' },
    'burst-rate': { type: 'string', default: '1000' },
    'burst-seconds': { type: 'string', default: '30' },
    connections: { type: 'string', default: '64' },
    modes: { type: 'string', default: BENCH_MODES.join(',') },
    'latency-rate': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    'latency-rounds': { type: 'string', default: '6' },
    'secondary-timeout-ms': { type: 'string' },
    // No defaults here: a rate or a length given with --no-flip is refused rather than ignored.
    'flip-rate': { type: 'string' },
    'flip-seconds': { type: 'string' },
    'no-control': { type: 'boolean', default: false },
    'no-flip': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };

  const modes = values.modes.split(',');
  if (!modes.every(isBenchMode)) throw new UsageError(`--modes takes 1, 4 and 2 separated by commas, got "${values.modes}"`);
  const secondaryTimeoutMs = values['secondary-timeout-ms'];
  const flipRate = values['flip-rate'];
  const flipSeconds = values['flip-seconds'];
  if (values['no-flip'] && (flipRate !== undefined || flipSeconds !== undefined)) {
    throw new UsageError('--no-flip skips the flip phase: drop --flip-rate and --flip-seconds, or --no-flip');
  }
  return {
    kind: 'run',
    seconds: integerFlag('--seconds', values.seconds),
    concurrency: integerFlag('--concurrency', values.concurrency),
    burstRate: integerFlag('--burst-rate', values['burst-rate']),
    burstSeconds: integerFlag('--burst-seconds', values['burst-seconds']),
    connections: integerFlag('--connections', values.connections),
    modes,
    latencyRate: integerFlag('--latency-rate', values['latency-rate']),
    rounds: integerFlag('--rounds', values.rounds),
    latencyRounds: integerFlag('--latency-rounds', values['latency-rounds']),
    control: !values['no-control'],
    ...(secondaryTimeoutMs === undefined ? {} : { secondaryTimeoutMs: integerFlag('--secondary-timeout-ms', secondaryTimeoutMs, { allowZero: true }) }),
    flip: values['no-flip']
      ? null
      : { rate: integerFlag('--flip-rate', flipRate ?? FLIP_DEFAULTS.rate), seconds: integerFlag('--flip-seconds', flipSeconds ?? FLIP_DEFAULTS.seconds) },
  };
}
