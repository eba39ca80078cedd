import { UsageError } from './args';
import { parseBackfillGapArgs, parseVerifyCountsArgs, parseVerifyDualWriteArgs } from './verify-args';

const ENTITIES = ['users', 'budgets', 'posts', 'comments'];
const NOW = new Date('2026-11-29T20:30:00Z');

describe('verify-counts arguments', () => {
  it('takes --json and nothing else', () => {
    expect(parseVerifyCountsArgs([])).toEqual({ kind: 'verify-counts', json: false });
    expect(parseVerifyCountsArgs(['--json'])).toEqual({ kind: 'verify-counts', json: true });
    expect(() => parseVerifyCountsArgs(['--entity=users'])).toThrow(UsageError);
  });
});

describe('verify-dual-write arguments', () => {
  it('reads --minutes as a whole number of minutes', () => {
    expect(parseVerifyDualWriteArgs(['--minutes=15'])).toEqual({ kind: 'verify-dual-write', minutes: 15, json: false });
    expect(parseVerifyDualWriteArgs(['--minutes', '10080', '--json'])).toEqual({ kind: 'verify-dual-write', minutes: 10080, json: true });
  });

  it('refuses missing, zero, fractional, negative, non-numeric and over-a-week minutes by name', () => {
    expect(() => parseVerifyDualWriteArgs([])).toThrow('--minutes is required: how far back the ledger is checked');
    for (const text of ['0', '1.5', '-3', 'ten', '']) {
      expect(() => parseVerifyDualWriteArgs([`--minutes=${text}`])).toThrow(`--minutes must be a positive integer (how many minutes of the ledger to check), got "${text}"`);
    }
    expect(() => parseVerifyDualWriteArgs(['--minutes=10081'])).toThrow('--minutes must be at most 10080 (a week), got 10081');
  });
});

describe('backfill-gap arguments', () => {
  it('reads --since, --entity (all by default) and --dry-run', () => {
    expect(parseBackfillGapArgs(['--since=2026-11-29T20:00:00Z'], ENTITIES, NOW)).toEqual({
      kind: 'backfill-gap',
      since: new Date('2026-11-29T20:00:00Z'),
      entities: 'all',
      dryRun: false,
      json: false,
    });
    expect(parseBackfillGapArgs(['--since=2026-11-29', '--entity=budgets', '--dry-run'], ENTITIES, NOW)).toMatchObject({ entities: ['budgets'], dryRun: true });
  });

  it('refuses a missing or invalid timestamp, one in the future, and an unknown entity, naming the valid ones', () => {
    expect(() => parseBackfillGapArgs([], ENTITIES, NOW)).toThrow('--since is required');
    expect(() => parseBackfillGapArgs(['--since=2026-11-29T20:00:00'], ENTITIES, NOW)).toThrow('--since must be an ISO 8601 date or time with its zone');
    expect(() => parseBackfillGapArgs(['--since=2026-02-30'], ENTITIES, NOW)).toThrow(UsageError);
    expect(() => parseBackfillGapArgs(['--since=2027-01-01T00:00:00Z'], ENTITIES, NOW)).toThrow('--since is in the future (2027-01-01T00:00:00.000Z)');
    expect(() => parseBackfillGapArgs(['--since=2026-11-29', '--entity=budget'], ENTITIES, NOW)).toThrow('--entity: unknown entity "budget"; valid: all, users, budgets, posts, comments');
  });
});
