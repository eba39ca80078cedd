import { MAX_VERIFY_MINUTES, parseSince } from '@dualwrite/reconcile';
import { UsageError, integerFlag, parseFlags } from './args';

export type VerifyCountsRequest = { kind: 'help' } | { kind: 'verify-counts'; json: boolean };
export type VerifyDualWriteRequest = { kind: 'help' } | { kind: 'verify-dual-write'; minutes: number; json: boolean };
export type BackfillGapRequest = { kind: 'help' } | { kind: 'backfill-gap'; since: Date; entities: 'all' | string[]; dryRun: boolean; json: boolean };

export const VERIFY_COUNTS_USAGE = [
  'usage: npm run verify-counts -- [--json]',
  '  row counts of every entity on the primary and the secondary (as the flags say), side by side',
  '  exit code 1 when any entity\'s counts differ',
].join('\n');

export const VERIFY_DUAL_WRITE_USAGE = [
  'usage: npm run verify-dual-write -- --minutes=N [--json]',
  `  every operation of the ledger created in the last N minutes (1 to ${MAX_VERIFY_MINUTES}) checked on both stores: each applied`,
  '  operation\'s keys must hold equal rows (the dual-write comparison\'s normalisation) or be absent on both; operations',
  '  not applied are listed with their status, keys still being written are listed as in flight',
  '  exit code 1 when any key differs',
].join('\n');

export const BACKFILL_GAP_USAGE = [
  'usage: npm run backfill-gap -- --since=<ISO time> [--entity=all|<name>] [--dry-run] [--json]',
  '  the rows the primary changed since the time (each entity\'s updated-at field) and the keys the ledger shows deleted',
  '  since then, compared with the secondary; those that differ or are missing are made equal through the write',
  '  protocol\'s key sync (never a direct write of the secondary). --dry-run lists them and changes nothing.',
  '  --since   an ISO 8601 date (UTC) or time with its zone, e.g. 2026-11-29T20:00:00Z',
  '  exit code 1 when keys are still unequal afterwards (each listed with why)',
].join('\n');

export function parseVerifyCountsArgs(argv: string[]): VerifyCountsRequest {
  const values = parseFlags(argv, { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } });
  if (values.help) return { kind: 'help' };
  return { kind: 'verify-counts', json: values.json === true };
}

export function parseVerifyDualWriteArgs(argv: string[]): VerifyDualWriteRequest {
  const values = parseFlags(argv, {
    minutes: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  if (values.minutes === undefined) throw new UsageError('--minutes is required: how far back the ledger is checked');
  const minutes = integerFlag('--minutes', values.minutes, { meaning: 'how many minutes of the ledger to check' });
  if (minutes > MAX_VERIFY_MINUTES) throw new UsageError(`--minutes must be at most ${MAX_VERIFY_MINUTES} (a week), got ${minutes}`);
  return { kind: 'verify-dual-write', minutes, json: values.json === true };
}

/** Reads the command line; `entityNames` are the registered entities, named in the error for an unknown one. */
export function parseBackfillGapArgs(argv: string[], entityNames: readonly string[], now: Date = new Date()): BackfillGapRequest {
  const values = parseFlags(argv, {
    since: { type: 'string' },
    entity: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  if (values.since === undefined) throw new UsageError('--since is required: an ISO 8601 time such as 2026-11-29T20:00:00Z');
  let since: Date;
  try {
    since = parseSince(values.since.trim(), now);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const entity = values.entity?.trim() ?? 'all';
  if (entity !== 'all' && !entityNames.includes(entity)) throw new UsageError(`--entity: unknown entity "${entity}"; valid: all, ${entityNames.join(', ')}`);
  return { kind: 'backfill-gap', since, entities: entity === 'all' ? 'all' : [entity], dryRun: values['dry-run'] === true, json: values.json === true };
}
