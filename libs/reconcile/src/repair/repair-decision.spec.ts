import { decideRepair, type KeyState } from './repair-decision';

const differing: KeyState = {
  entity: 'budgets',
  key: 'k1',
  primaryStore: 'prisma',
  secondaryStore: 'supabase',
  differingNow: ['amount'],
  primaryHasRow: true,
  secondaryHasRow: true,
  changedSinceReport: null,
  writtenSinceReport: null,
  deleteProof: null,
};
const written = { opId: 'op-9', operation: 'update', status: 'applied', at: '2026-11-29T20:00:00.000Z' };
const onlyOnSecondary: KeyState = { ...differing, differingNow: ['row'], primaryHasRow: false };

describe('decideRepair: what a repair does with one key', () => {
  it('equal now → nothing, whatever else happened to the key', () => {
    for (const state of [
      { ...differing, differingNow: [] },
      { ...differing, differingNow: [], writtenSinceReport: written, changedSinceReport: 'the rows changed' },
      { ...differing, differingNow: [], primaryHasRow: false, secondaryHasRow: false },
    ]) {
      expect(decideRepair(state)).toMatchObject({ action: 'nothing', detail: 'equal on prisma and supabase now: nothing to do' });
    }
  });

  it('a ledger write after the run (or one unsettled) → skipped, before anything else is looked at', () => {
    for (const state of [{ ...differing, writtenSinceReport: written }, { ...onlyOnSecondary, writtenSinceReport: written, deleteProof: { proven: true, latest: null } }]) {
      expect(decideRepair(state)).toEqual({
        entity: 'budgets',
        key: 'k1',
        action: 'skip_written',
        detail: 'skipped: written since the report',
        reason: expect.stringContaining('update op op-9 (applied, 2026-11-29T20:00:00.000Z)'),
      });
    }
  });

  it('rows no longer as the report recorded them → skipped with what changed, never overwritten', () => {
    const decision = decideRepair({ ...differing, changedSinceReport: 'the rows changed since the report: recorded a; now b' });
    expect(decision).toMatchObject({ action: 'skip_changed', reason: 'the rows changed since the report: recorded a; now b' });
  });

  it('the primary holds the row → copy: an update of the differing fields, or an insert', () => {
    expect(decideRepair({ ...differing, differingNow: ['amount', 'name'] })).toMatchObject({ action: 'copy', detail: 'update on supabase from prisma: amount, name' });
    expect(decideRepair({ ...differing, differingNow: ['row'], secondaryHasRow: false })).toMatchObject({ action: 'copy', detail: 'insert on supabase the row prisma holds' });
  });

  it('only the secondary holds the row → delete with the ledger proof, otherwise leave and say why', () => {
    expect(decideRepair({ ...onlyOnSecondary, deleteProof: { proven: true, latest: { opId: 'op-3', operation: 'delete' } } })).toMatchObject({
      action: 'delete',
      detail: 'delete on supabase: prisma has no row and the ledger proves a delete (op op-3)',
    });
    expect(decideRepair({ ...onlyOnSecondary, deleteProof: { proven: true, latest: { opId: 'op-4', operation: 'update' } } })).toMatchObject({ action: 'delete' });
    expect(decideRepair({ ...onlyOnSecondary, deleteProof: { proven: false, latest: null } })).toMatchObject({
      action: 'leave',
      reason: 'prisma has no budgets k1 and the ledger records no delete of it: a missing row is not a deletion, both rows left for an operator',
    });
    expect(decideRepair({ ...onlyOnSecondary, deleteProof: { proven: false, latest: { opId: 'op-5', operation: 'create' } } })).toMatchObject({
      action: 'leave',
      reason: expect.stringContaining('its latest write there (create, op op-5) is no delete'),
    });
  });

  it('roles as the flags give them now: with store B primary the copy goes to prisma', () => {
    expect(decideRepair({ ...differing, primaryStore: 'supabase', secondaryStore: 'prisma' })).toMatchObject({ action: 'copy', detail: 'update on prisma from supabase: amount' });
  });
});
