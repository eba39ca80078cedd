import { UsageError, integerFlag, parseFlags } from '../cli/args';
import { FAULT_SCHEDULE } from './fault-schedule';

export interface ChaosOptions {
  /** Writes per second sent while the faults run (open loop: a create, an update or a delete of a budget). */
  rate: number;
  /** How long the writes last; the fault schedule needs a few seconds past its last fault. */
  seconds: number;
  /** Runs the api and worker with the auto-rollback guard on (ROLLBACK_ENABLED=true); off by default. */
  rollbackGuard: boolean;
  /** Longest wait, once every write has an answer, for the ledger to settle and the stores to agree. */
  settleSeconds: number;
}

export type ChaosRequest = { kind: 'help' } | ({ kind: 'run' } & ChaosOptions);

/** The last fault's second plus the time its flip may take to be answered. */
export const CHAOS_MIN_SECONDS = Math.max(...FAULT_SCHEDULE.map((step) => step.atSeconds)) + 8;

export const CHAOS_USAGE = [
  'usage: npm run chaos -- [--rate=60] [--seconds=56] [--settle-seconds=240] [--rollback-guard]',
  '  --rate=60                  writes per second (creates, updates and deletes of budgets, each with its Idempotency-Key)',
  `  --seconds=56               how long the writes last (at least ${CHAOS_MIN_SECONDS}: the faults run in its first ${CHAOS_MIN_SECONDS - 8} s)`,
  '  --settle-seconds=240       longest wait for the ledger to settle and the stores to agree once every write has its answer',
  '  --rollback-guard           run the api and worker with the auto-rollback guard on (it may roll the phase back)',
  'Starts the api and the worker on the dev databases, kills and restarts them, pauses store B (supabase-local),',
  "flushes the dev Redis and flips the primary, all under writes; retries every write without an answer with its",
  'key, then checks that every acknowledged create is on both stores, no acknowledged delete came back, no refused',
  'create left a row, and the stores agree row for row with the ledger settled. Exit 0 when all hold, 1 when not.',
].join('\n');

/** Reads the chaos run's command line; throws UsageError naming the flag before anything starts. */
export function parseChaosArgs(argv: string[]): ChaosRequest {
  const values = parseFlags(argv, {
    rate: { type: 'string', default: '60' },
    seconds: { type: 'string', default: String(CHAOS_MIN_SECONDS) },
    'settle-seconds': { type: 'string', default: '240' },
    'rollback-guard': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  const seconds = integerFlag('--seconds', values.seconds);
  if (seconds < CHAOS_MIN_SECONDS) throw new UsageError(`--seconds must be at least ${CHAOS_MIN_SECONDS} (the faults run in the first ${CHAOS_MIN_SECONDS - 8} s), got ${seconds}`);
  return {
    kind: 'run',
    rate: integerFlag('--rate', values.rate),
    seconds,
    rollbackGuard: values['rollback-guard'],
    settleSeconds: integerFlag('--settle-seconds', values['settle-seconds']),
  };
}
