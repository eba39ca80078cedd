import type { FieldDifference } from '@dualwrite/stores';
import { recommendConsistencyActions, type ConsistencyFacts } from './recommendations';
import type { KeyLedger, LedgerOpView } from './verify.types';

const KEY = '7e57b000-0000-4000-8000-000000000001';
const row = { id: KEY, name: 'Budget 1', updatedAt: new Date('2026-11-29T20:00:00.000Z') };
const changed: FieldDifference[] = [{ path: '$.name', field: 'name', key: KEY, kind: 'changed', primary: 'Budget 1', secondary: 'Old' }];
const missingOnB: FieldDifference[] = [{ path: '$', key: KEY, kind: 'missing_in_secondary', primary: row, secondary: null }];
const missingOnA: FieldDifference[] = [{ path: '$', key: KEY, kind: 'missing_in_primary', primary: null, secondary: row }];

function op(opId: string, operation: string, status: string, overrides: Partial<LedgerOpView> = {}): LedgerOpView {
  return {
    opId,
    entity: 'budgets',
    operation,
    status,
    keys: [KEY],
    primaryStore: 'prisma',
    secondaryStore: 'supabase',
    attempts: 0,
    lastError: null,
    createdAt: new Date('2026-11-29T20:10:00.000Z'),
    updatedAt: new Date('2026-11-29T20:10:00.000Z'),
    ...overrides,
  };
}

function ledgerOf(...ops: LedgerOpView[]): KeyLedger {
  const unsettled = ops.filter((entry) => ['pending', 'primary_done', 'secondary_pending', 'primary_unavailable'].includes(entry.status));
  return { latest: ops, unsettled, owed: unsettled.filter((entry) => entry.status === 'secondary_pending'), dead: ops.filter((entry) => entry.status === 'dead') };
}

function facts(overrides: Partial<ConsistencyFacts>): ConsistencyFacts {
  return {
    entity: 'budgets',
    key: KEY,
    mode: 'dual-primary-a',
    dual: true,
    primaryStore: 'prisma',
    secondaryStore: 'supabase',
    primaryRow: row,
    secondaryRow: row,
    differences: [],
    ledger: ledgerOf(),
    versionField: 'updatedAt',
    ...overrides,
  };
}

describe('recommendConsistencyActions', () => {
  it('nothing to do for equal rows and a quiet ledger', () => {
    expect(recommendConsistencyActions(facts({ ledger: ledgerOf(op('o1', 'update', 'applied')) }))).toEqual([]);
  });

  it('equal now but owed: says the replay will sync it', () => {
    const [action] = recommendConsistencyActions(facts({ ledger: ledgerOf(op('o1', 'update', 'secondary_pending', { attempts: 2 })) }));
    expect(action).toMatch(/^both stores agree now, but the ledger shows op o1 \(update, secondary_pending, 2 replay attempts\) owed to supabase: wait for the replay/);
  });

  it('missing on the secondary with an owed op: wait for the replay, or backfill from the op\'s time', () => {
    const [action] = recommendConsistencyActions(facts({ secondaryRow: null, differences: missingOnB, ledger: ledgerOf(op('o1', 'create', 'secondary_pending')) }));
    expect(action).toContain('supabase lacks it and the ledger shows op o1 (create, secondary_pending, 0 replay attempts) owed to supabase: wait for the replay');
    expect(action).toContain('npm run backfill-gap -- --since=2026-11-29T20:09:00.000Z --entity=budgets');
    expect(action).toContain('npm run compensate-data -- --run=<its run id>');
  });

  it('differs while an op is in flight: check again after the sweep and replay', () => {
    const actions = recommendConsistencyActions(facts({ differences: changed, ledger: ledgerOf(op('o1', 'update', 'primary_unavailable')) }));
    expect(actions).toEqual([expect.stringMatching(/^the stores differ and op o1 \(update, primary_unavailable, 0 replay attempts\) is still in flight or of unknown outcome/)]);
  });

  it('a dead op: says the replay gave up, with its last error, and how to requeue it once fixed', () => {
    const actions = recommendConsistencyActions(
      facts({ differences: changed, ledger: ledgerOf(op('o1', 'update', 'dead', { attempts: 8, lastError: 'StoreUnavailableError: timeout' })) }),
    );
    expect(actions).toHaveLength(2);
    expect(actions[0]).toContain('op o1 (update, dead, 8 replay attempts, last error: StoreUnavailableError: timeout) is dead: the replay gave up');
    expect(actions[0]).toContain('`POST /admin/replay/o1/requeue`');
    expect(actions[0]).toContain('`npm run backfill-gap -- --since=2026-11-29T20:09:00.000Z --entity=budgets`');
    expect(actions[1]).toContain('the stores differ in name');
  });

  it('dual writes off: the secondary falls behind by design; copy in phase 2', () => {
    const actions = recommendConsistencyActions(facts({ mode: 'primary-only', dual: false, secondaryRow: null, differences: missingOnB }));
    expect(actions).toEqual([expect.stringContaining('dual writes are off (primary-only): supabase is not written')]);
    expect(actions[0]).toContain('npm run copy-data -- --entity=budgets');
  });

  it('missing on the secondary with no write in the ledger: written before dual writes or behind the module\'s back; backfill from the row\'s time', () => {
    const [action] = recommendConsistencyActions(facts({ secondaryRow: null, differences: missingOnB }));
    expect(action).toContain("supabase lacks budgets 7e57b000-0000-4000-8000-000000000001 and no operation on it is unsettled (the ledger has no write of it");
    expect(action).toContain('npm run backfill-gap -- --since=2026-11-29T19:59:00.000Z --entity=budgets');
  });

  it('missing on the primary with a delete recorded: a sync deletes it with the ledger\'s proof', () => {
    const [action] = recommendConsistencyActions(facts({ primaryRow: null, differences: missingOnA, ledger: ledgerOf(op('o2', 'delete', 'applied'), op('o1', 'create', 'applied')) }));
    expect(action).toContain('missing on the primary (prisma) with a delete recorded (op o2 (delete, applied');
    expect(action).toContain('npm run backfill-gap -- --since=2026-11-29T20:09:00.000Z --entity=budgets');
  });

  it('missing on the primary without a delete: an orphan no tool deletes on a hunch', () => {
    const [action] = recommendConsistencyActions(facts({ primaryRow: null, differences: missingOnA, ledger: ledgerOf(op('o1', 'update', 'applied')) }));
    expect(action).toContain('missing on the primary (prisma) and no delete of it is recorded (its latest write is op o1 (update, applied');
    expect(action).toContain("No tool deletes it without the ledger's proof");
  });

  it('fields differ with a quiet ledger: names the fields and the repair commands', () => {
    const [action] = recommendConsistencyActions(facts({ differences: changed, ledger: ledgerOf(op('o1', 'update', 'applied')) }));
    expect(action).toContain('the stores differ in name and no operation on budgets 7e57b000-0000-4000-8000-000000000001 is unsettled');
    expect(action).toContain('npm run backfill-gap -- --since=2026-11-29T19:59:00.000Z --entity=budgets');
    expect(action).toContain('npm run reconcile-data -- --entity=budgets');
  });
});
