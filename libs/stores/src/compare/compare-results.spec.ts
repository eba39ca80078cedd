import type { EntityDefinition } from '../entity/entity.types';
import { contractItems, contractNotes } from '../testing/contract-fixtures';
import { compareResults } from './compare-results';

const itemId = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b';
const otherItemId = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6c';
const ownerId = '0190a4b2-0000-7000-8000-000000000001';

function item(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: itemId,
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
    expect(compareResults(contractItems, item(), item())).toEqual({ equal: true, differences: [] });
  });

  it('treats a Date, an ISO string and epoch milliseconds for the same instant as equal', () => {
    const instant = new Date('2026-01-02T03:04:05.678Z');
    const asIso = item({ createdAt: instant.toISOString(), updatedAt: '2026-01-02T04:04:05.678+01:00' });
    const asEpoch = item({ createdAt: instant.getTime(), updatedAt: instant.getTime() });
    expect(compareResults(contractItems, item(), asIso).equal).toBe(true);
    expect(compareResults(contractItems, asIso, asEpoch).equal).toBe(true);
  });

  it('compares timestamps to the millisecond', () => {
    const comparison = compareResults(contractItems, item(), item({ updatedAt: '2026-01-02T03:04:05.679Z' }));
    expect(comparison.differences).toEqual([
      {
        path: '$.updatedAt',
        field: 'updatedAt',
        key: itemId,
        kind: 'changed',
        primary: '2026-01-02T03:04:05.678Z',
        secondary: '2026-01-02T03:04:05.679Z',
      },
    ]);
  });

  it('treats decimals written as "1.50", 1.5 and "1.5" as equal', () => {
    expect(compareResults(contractItems, item({ amount: '1.50' }), item({ amount: 1.5 })).equal).toBe(true);
    expect(compareResults(contractItems, item({ amount: 1.5 }), item({ amount: '1.5' })).equal).toBe(true);
  });

  it('reports differing decimals in plain normalised text', () => {
    const comparison = compareResults(contractItems, item({ amount: '10.50' }), item({ amount: 10.25 }));
    expect(comparison.differences).toMatchObject([{ path: '$.amount', kind: 'changed', primary: '10.5', secondary: '10.25' }]);
  });

  it('ignores json key order at every depth', () => {
    const reordered = item({ metadata: { limits: { monthly: 150, weekly: 40 }, tags: ['food'] } });
    expect(compareResults(contractItems, item(), reordered).equal).toBe(true);
  });

  it('accepts json sent as text', () => {
    const asText = item({ metadata: '{"limits": {"monthly": 150, "weekly": 40}, "tags": ["food"]}' });
    expect(compareResults(contractItems, item(), asText).equal).toBe(true);
  });

  it('keeps json array order significant and reports the json with sorted keys', () => {
    const comparison = compareResults(
      contractItems,
      item({ metadata: { b: [1, 2], a: 1 } }),
      item({ metadata: { a: 1, b: [2, 1] } }),
    );
    expect(comparison.differences).toHaveLength(1);
    expect(JSON.stringify(comparison.differences[0].primary)).toBe('{"a":1,"b":[1,2]}');
  });

  it('treats a missing field and null as equal by default', () => {
    const { currency: _currency, ...withoutCurrency } = item();
    expect(compareResults(contractItems, item({ currency: null }), withoutCurrency).equal).toBe(true);
  });

  it('reports a field only one side returned when null and missing are told apart', () => {
    const { currency: _currency, ...withoutCurrency } = item();
    const comparison = compareResults(contractItems, item({ currency: null }), withoutCurrency, { nullEqualsMissing: false });
    expect(comparison.differences).toMatchObject([
      { path: '$.currency', field: 'currency', kind: 'missing_in_secondary', primary: null, secondary: null },
    ]);
  });

  it('reads column-named rows (snake_case) like domain-named rows and ignores unknown columns', () => {
    const columnRow = {
      id: itemId,
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
    expect(compareResults(contractItems, item(), columnRow).equal).toBe(true);
  });

  it('matches uuids regardless of letter case', () => {
    expect(compareResults(contractItems, item(), item({ ownerId: ownerId.toUpperCase() })).equal).toBe(true);
  });
});

describe('compareResults: ignored fields', () => {
  it('leaves out the entity\'s ignoreInComparison fields', () => {
    const entity: EntityDefinition = { ...contractItems, ignoreInComparison: ['updatedAt'] };
    expect(compareResults(entity, item(), item({ updatedAt: new Date('2030-01-01T00:00:00Z') })).equal).toBe(true);
  });

  it('leaves out the fields ignored for one call, and only for that call', () => {
    const secondary = item({ name: 'Food' });
    expect(compareResults(contractItems, item(), secondary, { ignoreFields: ['name'] }).equal).toBe(true);
    expect(compareResults(contractItems, item(), secondary).equal).toBe(false);
  });
});

describe('compareResults: type differences', () => {
  it('reports a value the field type cannot hold as a type difference with the raw value', () => {
    const comparison = compareResults(contractItems, item(), item({ amount: 'a lot' }));
    expect(comparison.differences).toMatchObject([{ path: '$.amount', kind: 'type', primary: '150.5', secondary: 'a lot' }]);
  });
});

describe('compareResults: single rows and absence', () => {
  it('finds two absent results equal', () => {
    expect(compareResults(contractItems, null, undefined).equal).toBe(true);
  });

  it('reports a row the secondary lacks, with the normalised primary row', () => {
    const comparison = compareResults(contractItems, item(), null);
    expect(comparison.equal).toBe(false);
    expect(comparison.differences).toEqual([
      {
        path: '$',
        key: itemId,
        kind: 'missing_in_secondary',
        primary: expect.objectContaining({ amount: '150.5', createdAt: '2026-01-02T03:04:05.678Z' }),
        secondary: null,
      },
    ]);
  });

  it('reports a row the primary lacks', () => {
    expect(compareResults(contractItems, null, item()).differences).toMatchObject([
      { path: '$', key: itemId, kind: 'missing_in_primary', primary: null },
    ]);
  });
});

describe('compareResults: lists (findMany)', () => {
  it('matches rows by primary key whatever their order', () => {
    const rows = [item(), item({ id: otherItemId, name: 'Rent' })];
    expect(compareResults(contractItems, rows, [...rows].reverse()).equal).toBe(true);
  });

  it('reports differing fields under the row key', () => {
    const primary = [item(), item({ id: otherItemId, name: 'Rent' })];
    const secondary = [item(), item({ id: otherItemId, name: 'Mortgage' })];
    expect(compareResults(contractItems, primary, secondary).differences).toEqual([
      { path: `$[${otherItemId}].name`, field: 'name', key: otherItemId, kind: 'changed', primary: 'Rent', secondary: 'Mortgage' },
    ]);
  });

  it('reports rows missing on either side', () => {
    const comparison = compareResults(contractItems, [item()], [item({ id: otherItemId })]);
    expect(comparison.differences.map(({ path, kind }) => ({ path, kind }))).toEqual([
      { path: `$[${itemId}]`, kind: 'missing_in_secondary' },
      { path: `$[${otherItemId}]`, kind: 'missing_in_primary' },
    ]);
  });

  it('matches serial keys given as numbers or digit strings', () => {
    const note = {
      id: 42,
      postId: itemId,
      authorId: ownerId,
      body: 'first',
      createdAt: '2026-01-02T03:04:05.678Z',
      updatedAt: '2026-01-02T03:04:05.678Z',
    };
    expect(compareResults(contractNotes, [note], [{ ...note, id: '42' }]).equal).toBe(true);
  });

  it('compares a single row against a list of one', () => {
    expect(compareResults(contractItems, item(), [item()]).equal).toBe(true);
    expect(compareResults(contractItems, null, []).equal).toBe(true);
  });
});
