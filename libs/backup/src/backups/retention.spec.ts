import { planRetention, type RetentionCandidate } from './retention';

const NOW = new Date('2026-11-29T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

function full(id: string, age: number, store = 'a', status: RetentionCandidate['status'] = 'complete'): RetentionCandidate {
  return { id, kind: 'full', store, fullId: id, status, startedAt: daysAgo(age) };
}
function incremental(id: string, fullId: string, age: number, store = 'a'): RetentionCandidate {
  return { id, kind: 'incremental', store, fullId, status: 'complete', startedAt: daysAgo(age) };
}

describe('planRetention', () => {
  it('keeps the N newest full backups of a store even when older than M days, and removes older ones', () => {
    const plan = planRetention([full('f1', 30), full('f2', 20), full('f3', 10)], { keepFull: 2, keepDays: 1 }, NOW);
    expect(plan).toEqual({ keep: ['f2', 'f3'], remove: ['f1'] });
  });

  it('keeps every full backup younger than M days beyond the N newest', () => {
    const plan = planRetention([full('f1', 5), full('f2', 3), full('f3', 1)], { keepFull: 1, keepDays: 7 }, NOW);
    expect(plan.remove).toEqual([]);
  });

  it('incrementals go exactly when their full goes, whatever their own age', () => {
    const plan = planRetention(
      [full('f1', 30), incremental('i1', 'f1', 1), full('f2', 20), incremental('i2', 'f2', 19)],
      { keepFull: 1, keepDays: 7 },
      NOW,
    );
    expect(plan).toEqual({ keep: ['f2', 'i2'], remove: ['f1', 'i1'] });
  });

  it('counts the N newest per store', () => {
    const plan = planRetention([full('a1', 30, 'a'), full('a2', 20, 'a'), full('b1', 40, 'b')], { keepFull: 1, keepDays: 0 }, NOW);
    expect(plan).toEqual({ keep: ['a2', 'b1'], remove: ['a1'] });
  });

  it('failed runs never count as the N newest and are removed', () => {
    const plan = planRetention([full('f1', 10), full('f2', 0, 'a', 'failed')], { keepFull: 1, keepDays: 0 }, NOW);
    expect(plan).toEqual({ keep: ['f1'], remove: ['f2'] });
  });

  it('a run still running is kept until older than staleRunningMs (a stopped process left it)', () => {
    const running = { ...full('r1', 0, 'a', 'running'), startedAt: new Date(NOW.getTime() - 60_000) };
    expect(planRetention([running], { keepFull: 1, keepDays: 0, staleRunningMs: 120_000 }, NOW).keep).toEqual(['r1']);
    expect(planRetention([running], { keepFull: 1, keepDays: 0, staleRunningMs: 30_000 }, NOW).remove).toEqual(['r1']);
  });

  it('refuses a policy that would remove every full backup', () => {
    expect(() => planRetention([], { keepFull: 0, keepDays: 1 }, NOW)).toThrow('keepFull must be a whole number of at least 1, got 0');
  });
});
