import { chaosVerdict, isRetryable, type SentWrite } from './chaos-verdict';

const create = (id: string, status: number | null): SentWrite => ({ kind: 'create', id, status });
const remove = (id: string, status: number | null): SentWrite => ({ kind: 'delete', id, status });
const settled = { storesEqual: true, openOperations: 0 };

describe('chaosVerdict', () => {
  it('holds when every acknowledged create is on both stores, the deleted row is gone and the stores agree', () => {
    const verdict = chaosVerdict({ writes: [create('k1', 201), create('k2', 201), remove('k2', 200)], onA: new Set(['k1']), onB: new Set(['k1']), ...settled });

    expect(verdict).toEqual({ acknowledgedCreates: 2, missingOnA: [], missingOnB: [], deletedButPresent: [], refusedButPresent: [], unanswered: 0, converged: true, holds: true });
  });

  it('names an acknowledged create missing on the store that could end as the sole one (I1)', () => {
    const verdict = chaosVerdict({ writes: [create('k1', 201)], onA: new Set(['k1']), onB: new Set(), ...settled });

    expect(verdict).toMatchObject({ missingOnA: [], missingOnB: ['k1'], holds: false });
  });

  it('does not require a row a delete was sent for, answered or not (the delete may have landed)', () => {
    const verdict = chaosVerdict({ writes: [create('k1', 201), remove('k1', 404)], onA: new Set(), onB: new Set(), ...settled });

    expect(verdict).toMatchObject({ missingOnA: [], missingOnB: [], holds: true });
  });

  it('names an acknowledged delete whose row is back on a store', () => {
    const verdict = chaosVerdict({ writes: [create('k1', 201), remove('k1', 200)], onA: new Set(), onB: new Set(['k1']), storesEqual: false, openOperations: 0 });

    expect(verdict).toMatchObject({ deletedButPresent: ['k1'], converged: false, holds: false });
  });

  it('names a create refused with a 4xx whose row was written anyway (I4)', () => {
    const verdict = chaosVerdict({ writes: [create('k1', 400)], onA: new Set(['k1']), onB: new Set(['k1']), ...settled });

    expect(verdict).toMatchObject({ refusedButPresent: ['k1'], holds: false });
  });

  it('does not hold while a write has no final answer or the ledger has an open operation', () => {
    expect(chaosVerdict({ writes: [create('k1', 503)], onA: new Set(), onB: new Set(), ...settled })).toMatchObject({ unanswered: 1, holds: false });
    expect(chaosVerdict({ writes: [create('k1', 201)], onA: new Set(['k1']), onB: new Set(['k1']), storesEqual: true, openOperations: 1 })).toMatchObject({
      converged: false,
      holds: false,
    });
  });

  it('takes no answer, 409 in progress and 503/504 unavailable for answers a retry may still change', () => {
    expect([null, 409, 503, 504, 200, 201, 400, 404].map(isRetryable)).toEqual([true, true, true, true, false, false, false, false]);
  });
});
