import { budgetsEntity, commentsEntity } from '@dualwrite/example-domain';
import type { EntityDefinition } from '../entity/entity.types';
import { compareResults } from './compare-results';

const budgetId = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b';
const otherBudgetId = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6c';
const ownerId = '0190a4b2-0000-7000-8000-000000000001';

function budget(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: budgetId,
    ownerId,
    name: 'Groceries',
    amount: '150.50',
    currency: 'EUR',
    metadata: { tags: ['food'], limits: { weekly: 40, monthly: 150 } },
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    updatedAt: new Date('2026-01-02T03:04:05.678Z'),
    ...overrides,
  };
}

describe('compareResults: normalisation', () => {
  it('finds two identical rows equal', () => {
    expect(compareResults(budgetsEntity, budget(), budget())).toEqual({ equal: true, differences: [] });
  });

  it('treats a Date, an ISO string and epoch milliseconds for the same instant as equal', () => {
    const instant = new Date('2026-01-02T03:04:05.678Z');
    const asIso = budget({ createdAt: instant.toISOString(), updatedAt: '2026-01-02T04:04:05.678+01:00' });
    const asEpoch = budget({ createdAt: instant.getTime(), updatedAt: instant.getTime() });
    expect(compareResults(budgetsEntity, budget(), asIso).equal).toBe(true);
    expect(compareResults(budgetsEntity, asIso, asEpoch).equal).toBe(true);
  });

  it('compares timestamps to the millisecond', () => {
    const comparison = compareResults(budgetsEntity, budget(), budget({ updatedAt: '2026-01-02T03:04:05.679Z' }));
    expect(comparison.differences).toEqual([
      {
        path: '$.updatedAt',
        field: 'updatedAt',
        key: budgetId,
        kind: 'changed',
        primary: '2026-01-02T03:04:05.678Z',
        secondary: '2026-01-02T03:04:05.679Z',
      },
    ]);
  });

  it('treats decimals written as "1.50", 1.5 and "1.5" as equal', () => {
    expect(compareResults(budgetsEntity, budget({ amount: '1.50' }), budget({ amount: 1.5 })).equal).toBe(true);
    expect(compareResults(budgetsEntity, budget({ amount: 1.5 }), budget({ amount: '1.5' })).equal).toBe(true);
  });

  it('reports differing decimals in plain normalised text', () => {
    const comparison = compareResults(budgetsEntity, budget({ amount: '10.50' }), budget({ amount: 10.25 }));
    expect(comparison.differences).toMatchObject([{ path: '$.amount', kind: 'changed', primary: '10.5', secondary: '10.25' }]);
  });

  it('ignores json key order at every depth', () => {
    const reordered = budget({ metadata: { limits: { monthly: 150, weekly: 40 }, tags: ['food'] } });
    expect(compareResults(budgetsEntity, budget(), reordered).equal).toBe(true);
  });

  it('accepts json sent as text', () => {
    const asText = budget({ metadata: '{"limits": {"monthly": 150, "weekly": 40}, "tags": ["food"]}' });
    expect(compareResults(budgetsEntity, budget(), asText).equal).toBe(true);
  });

  it('keeps json array order significant and reports the json with sorted keys', () => {
    const comparison = compareResults(
      budgetsEntity,
      budget({ metadata: { b: [1, 2], a: 1 } }),
      budget({ metadata: { a: 1, b: [2, 1] } }),
    );
    expect(comparison.differences).toHaveLength(1);
    expect(JSON.stringify(comparison.differences[0].primary)).toBe('{"a":1,"b":[1,2]}');
  });

  it('treats a missing field and null as equal by default', () => {
    const { currency: _currency, ...withoutCurrency } = budget();
    expect(compareResults(budgetsEntity, budget({ currency: null }), withoutCurrency).equal).toBe(true);
  });

  it('reports a field only one side returned when null and missing are told apart', () => {
    const { currency: _currency, ...withoutCurrency } = budget();
    const comparison = compareResults(budgetsEntity, budget({ currency: null }), withoutCurrency, { nullEqualsMissing: false });
    expect(comparison.differences).toMatchObject([
      { path: '$.currency', field: 'currency', kind: 'missing_in_secondary', primary: null, secondary: null },
    ]);
  });

  it('reads column-named rows (snake_case) like domain-named rows and ignores unknown columns', () => {
    const columnRow = {
      id: budgetId,
      owner_id: ownerId,
      name: 'Groceries',
      amount: '150.5',
      currency: 'EUR',
      metadata: { tags: ['food'], limits: { weekly: 40, monthly: 150 } },
      created_at: '2026-01-02T03:04:05.678Z',
      updated_at: '2026-01-02T03:04:05.678Z',
      xmin: '7781',
      _extra: { anything: true },
    };
    expect(compareResults(budgetsEntity, budget(), columnRow).equal).toBe(true);
  });

  it('matches uuids regardless of letter case', () => {
    expect(compareResults(budgetsEntity, budget(), budget({ ownerId: ownerId.toUpperCase() })).equal).toBe(true);
  });
});

describe('compareResults: ignored fields', () => {
  it('leaves out the entity\'s ignoreInComparison fields', () => {
    const entity: EntityDefinition = { ...budgetsEntity, ignoreInComparison: ['updatedAt'] };
    expect(compareResults(entity, budget(), budget({ updatedAt: new Date('2030-01-01T00:00:00Z') })).equal).toBe(true);
  });

  it('leaves out the fields ignored for one call, and only for that call', () => {
    const secondary = budget({ name: 'Food' });
    expect(compareResults(budgetsEntity, budget(), secondary, { ignoreFields: ['name'] }).equal).toBe(true);
    expect(compareResults(budgetsEntity, budget(), secondary).equal).toBe(false);
  });
});

describe('compareResults: type differences', () => {
  it('reports a value the field type cannot hold as a type difference with the raw value', () => {
    const comparison = compareResults(budgetsEntity, budget(), budget({ amount: 'a lot' }));
    expect(comparison.differences).toMatchObject([{ path: '$.amount', kind: 'type', primary: '150.5', secondary: 'a lot' }]);
  });
});

describe('compareResults: single rows and absence', () => {
  it('finds two absent results equal', () => {
    expect(compareResults(budgetsEntity, null, undefined).equal).toBe(true);
  });

  it('reports a row the secondary lacks, with the normalised primary row', () => {
    const comparison = compareResults(budgetsEntity, budget(), null);
    expect(comparison.equal).toBe(false);
    expect(comparison.differences).toEqual([
      {
        path: '$',
        key: budgetId,
        kind: 'missing_in_secondary',
        primary: expect.objectContaining({ amount: '150.5', createdAt: '2026-01-02T03:04:05.678Z' }),
        secondary: null,
      },
    ]);
  });

  it('reports a row the primary lacks', () => {
    expect(compareResults(budgetsEntity, null, budget()).differences).toMatchObject([
      { path: '$', key: budgetId, kind: 'missing_in_primary', primary: null },
    ]);
  });
});

describe('compareResults: lists (findMany)', () => {
  it('matches rows by primary key whatever their order', () => {
    const rows = [budget(), budget({ id: otherBudgetId, name: 'Rent' })];
    expect(compareResults(budgetsEntity, rows, [...rows].reverse()).equal).toBe(true);
  });

  it('reports differing fields under the row key', () => {
    const primary = [budget(), budget({ id: otherBudgetId, name: 'Rent' })];
    const secondary = [budget(), budget({ id: otherBudgetId, name: 'Mortgage' })];
    expect(compareResults(budgetsEntity, primary, secondary).differences).toEqual([
      { path: `$[${otherBudgetId}].name`, field: 'name', key: otherBudgetId, kind: 'changed', primary: 'Rent', secondary: 'Mortgage' },
    ]);
  });

  it('reports rows missing on either side', () => {
    const comparison = compareResults(budgetsEntity, [budget()], [budget({ id: otherBudgetId })]);
    expect(comparison.differences.map(({ path, kind }) => ({ path, kind }))).toEqual([
      { path: `$[${budgetId}]`, kind: 'missing_in_secondary' },
      { path: `$[${otherBudgetId}]`, kind: 'missing_in_primary' },
    ]);
  });

  it('matches serial keys given as numbers or digit strings', () => {
    const comment = {
      id: 42,
      postId: budgetId,
      authorId: ownerId,
      body: 'first',
      createdAt: '2026-01-02T03:04:05.678Z',
      updatedAt: '2026-01-02T03:04:05.678Z',
    };
    expect(compareResults(commentsEntity, [comment], [{ ...comment, id: '42' }]).equal).toBe(true);
  });

  it('compares a single row against a list of one', () => {
    expect(compareResults(budgetsEntity, budget(), [budget()]).equal).toBe(true);
    expect(compareResults(budgetsEntity, null, []).equal).toBe(true);
  });
});
