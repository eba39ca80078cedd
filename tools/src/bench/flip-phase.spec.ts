import { budgetPayload, splitAtFlip } from './flip-phase';
import { describeLedger, unsettledIn, type LedgerCounts } from './ledger-statuses';

describe('splitAtFlip', () => {
  const samples = [0, 2_999, 3_000, 3_500, 4_200, 4_999, 5_000, 9_000].map((startedMs) => ({ startedMs, latencyMs: startedMs / 1000 }));

  it('puts the requests sent from the PUT to its answer on the flip side, the others before or after it', () => {
    expect(splitAtFlip(samples, { startedMs: 3_000, endedMs: 4_999 })).toEqual({ before: [0, 2.999], during: [3, 3.5, 4.2, 4.999], after: [5, 9] });
  });

  it('gives a quick flip a window of at least the minimum', () => {
    expect(splitAtFlip(samples, { startedMs: 3_000, endedMs: 3_040 }, 1_000).during).toEqual([3, 3.5]);
    expect(splitAtFlip(samples, { startedMs: 3_000, endedMs: 3_040 }, 1_999).during).toEqual([3, 3.5, 4.2, 4.999]);
  });
});

describe('the ledger figures', () => {
  const counts = (byStatus: [string, number][], sent: number): LedgerCounts => ({ sent, byStatus: new Map(byStatus), missing: sent - byStatus.reduce((total, [, n]) => total + n, 0) });

  it('counts pending, primary_done, secondary_pending and primary_unavailable as unsettled, nothing else', () => {
    const all: [string, number][] = [['abandoned', 1], ['applied', 10], ['dead', 2], ['pending', 3], ['primary_done', 4], ['primary_unavailable', 5], ['rejected', 6], ['secondary_pending', 7]];
    expect(unsettledIn(counts(all, 38))).toBe(3 + 4 + 5 + 7);
    expect(unsettledIn(counts([['applied', 3]], 3))).toBe(0);
  });

  it('names every status and the writes the ledger never saw', () => {
    expect(describeLedger(counts([['abandoned', 2], ['applied', 5]], 9))).toBe('abandoned 2, applied 5; 2 not in the ledger');
    expect(describeLedger(counts([['applied', 5]], 5))).toBe('applied 5');
    expect(describeLedger(counts([], 0))).toBe('nothing');
  });
});

describe('budgetPayload', () => {
  it('is the budget every part of the bench creates', () => {
    expect(budgetPayload('owner', 'flip', 1234)).toEqual({ ownerId: 'owner', name: 'flip 1234', amount: '234.25', currency: 'EUR', metadata: { i: 1234 } });
  });
});
