import { isStep, needsEvidence, unmetGateConditions, type EntityGateEvidence, type GateEvidence, type Phase } from './phase-gates';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const HOUR = 3_600_000;
const ago = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * HOUR);
const policy = { reconcileMaxAgeMs: 24 * HOUR };
const PHASES: Phase[] = [1, 2, 3, 4];

/** Every entity copied both ways 3 h ago and reconciled clean 1 h ago, nothing owed or dead. */
function evidence(entities: Record<string, Partial<EntityGateEvidence>> = { budgets: {}, users: {} }, overrides: Partial<GateEvidence> = {}): GateEvidence {
  const full = (facts: Partial<EntityGateEvidence>): EntityGateEvidence => ({ copied: { 'a-to-b': ago(3), 'b-to-a': ago(3) }, cleanReconcileAt: ago(1), ...facts });
  return {
    at: NOW,
    entities: Object.fromEntries(Object.entries(entities).map(([name, facts]) => [name, full(facts)])),
    owedOperations: 0,
    deadOperations: 0,
    ...overrides,
  };
}

describe('phase gates', () => {
  describe('steps: only neighbouring phases', () => {
    const pairs = PHASES.flatMap((from) => PHASES.map((to) => [from, to] as const));

    it.each(pairs)('phase %i → %i', (from, to) => {
      const unmet = unmetGateConditions(from, to, evidence(), policy);
      if (from === to || Math.abs(from - to) === 1) expect(unmet).toEqual([]);
      else expect(unmet).toEqual([expect.stringMatching(new RegExp(`^phase ${from} → ${to} is not a step: go through ${from}( → \\d)+ → ${to}`))]);
      expect(isStep(from, to)).toBe(Math.abs(from - to) === 1);
    });

    it('names the way round for a jump down', () => {
      expect(unmetGateConditions(4, 1, evidence(), policy)).toEqual(['phase 4 → 1 is not a step: go through 4 → 3 → 2 → 1, one step at a time']);
    });
  });

  it('only 2 → 3, 3 → 4 and 4 → 3 need evidence; the others pass without any', () => {
    for (const from of PHASES) {
      for (const to of PHASES) {
        const needed = (from === 2 && to === 3) || (from === 3 && to === 4) || (from === 4 && to === 3);
        expect(needsEvidence(from, to)).toBe(needed);
        if (!needed && isStep(from, to)) expect(unmetGateConditions(from, to, null, policy)).toEqual([]);
      }
    }
    expect(unmetGateConditions(2, 3, null, policy)).toEqual(['phase 2 → 3 needs the copy and reconcile records, which could not be read']);
  });

  describe.each([
    [2, 3],
    [3, 4],
  ] as const)('phase %i → %i (store B becomes primary, then sole store)', (from, to) => {
    it('passes with every entity copied A→B, reconciled clean since, recently, and nothing owed or dead', () => {
      expect(unmetGateConditions(from, to, evidence(), policy)).toEqual([]);
    });

    it('names an entity never copied', () => {
      expect(unmetGateConditions(from, to, evidence({ budgets: {}, users: { copied: { 'a-to-b': null, 'b-to-a': ago(3) } } }), policy)).toEqual([
        'users: no complete copy A→B (`copy-data`)',
      ]);
    });

    it('names an entity with no clean reconcile, and one reconciled only before its copy', () => {
      const unmet = unmetGateConditions(from, to, evidence({ budgets: { cleanReconcileAt: null }, users: { cleanReconcileAt: ago(4) } }), policy);

      expect(unmet).toEqual([
        'budgets: no clean reconcile (`reconcile-data` with no finding)',
        `users: the last clean reconcile (${ago(4).toISOString()}) is older than the copy A→B (\`copy-data\`) (${ago(3).toISOString()})`,
      ]);
    });

    it('names a clean reconcile older than the allowed age', () => {
      const unmet = unmetGateConditions(from, to, evidence({ budgets: { copied: { 'a-to-b': ago(30), 'b-to-a': null }, cleanReconcileAt: ago(25) } }), policy);

      expect(unmet).toEqual([`budgets: the last clean reconcile (${ago(25).toISOString()}) is older than 24 h`]);
    });

    it('names owed and dead operations', () => {
      expect(unmetGateConditions(from, to, evidence(undefined, { owedOperations: 3, deadOperations: 1 }), policy)).toEqual([
        '3 operation(s) store B still owes (replay them first)',
        '1 dead operation(s) (an operator decides each first)',
      ]);
    });
  });

  describe('phase 4 → 3 (back from store B alone)', () => {
    it('needs the reverse copy B→A, not the first copy', () => {
      const unmet = unmetGateConditions(4, 3, evidence({ budgets: { copied: { 'a-to-b': ago(3), 'b-to-a': null } } }), policy);

      expect(unmet).toEqual(['budgets: no complete reverse copy B→A (`copy-data --from=b`)']);
    });

    it('needs a clean reconcile newer than the reverse copy', () => {
      const unmet = unmetGateConditions(4, 3, evidence({ budgets: { copied: { 'a-to-b': ago(50), 'b-to-a': ago(1) }, cleanReconcileAt: ago(2) } }), policy);

      expect(unmet).toEqual([`budgets: the last clean reconcile (${ago(2).toISOString()}) is older than the reverse copy B→A (\`copy-data --from=b\`) (${ago(1).toISOString()})`]);
    });

    it('passes with the reverse copy and a clean reconcile since; owed operations do not concern it', () => {
      expect(unmetGateConditions(4, 3, evidence(undefined, { owedOperations: 2 }), policy)).toEqual([]);
    });
  });
});
