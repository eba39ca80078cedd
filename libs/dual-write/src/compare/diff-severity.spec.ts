import { budgetsEntity } from '@dualwrite/example-domain';
import { compareResults } from '@dualwrite/stores';
import { classifyDiffSeverity } from './diff-severity';

const budgetId = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b';

function budget(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: budgetId,
    ownerId: '0190a4b2-0000-7000-8000-000000000001',
    name: 'Groceries',
    amount: '150.50',
    currency: 'EUR',
    metadata: {},
    createdAt: '2026-01-02T03:04:05.678Z',
    updatedAt: '2026-01-02T03:04:05.678Z',
    ...overrides,
  };
}

function severityOf(secondary: Record<string, unknown> | null, rules = {}): string {
  const { differences } = compareResults(budgetsEntity, budget(), secondary);
  return classifyDiffSeverity(differences, budgetsEntity, rules);
}

describe('classifyDiffSeverity', () => {
  it('is info when nothing differs', () => {
    expect(classifyDiffSeverity([], budgetsEntity)).toBe('info');
  });

  it('is an error when a row is missing on one side', () => {
    expect(severityOf(null)).toBe('error');
  });

  it('is an error when the owner field differs', () => {
    expect(severityOf(budget({ ownerId: '0190a4b2-0000-7000-8000-000000000002' }))).toBe('error');
  });

  it('is an error when an amount (decimal field) differs', () => {
    expect(severityOf(budget({ amount: '150.51' }))).toBe('error');
  });

  it('is an error when a value has the wrong type', () => {
    expect(severityOf(budget({ createdAt: 'yesterday' }))).toBe('error');
  });

  it('is a warning when a business field differs', () => {
    expect(severityOf(budget({ name: 'Food' }))).toBe('warning');
  });

  it('is info when timestamps drift less than the tolerance', () => {
    expect(severityOf(budget({ updatedAt: '2026-01-02T03:04:06.000Z' }))).toBe('info');
  });

  it('is a warning when timestamps drift beyond the tolerance', () => {
    expect(severityOf(budget({ updatedAt: '2026-01-02T03:04:07.000Z' }))).toBe('warning');
  });

  it('takes the worst difference', () => {
    expect(severityOf(budget({ updatedAt: '2026-01-02T03:04:06.000Z', name: 'Food', amount: '1' }))).toBe('error');
    expect(severityOf(budget({ updatedAt: '2026-01-02T03:04:06.000Z', name: 'Food' }))).toBe('warning');
  });

  it('follows configured rules: error fields, error types, info fields and tolerance', () => {
    expect(severityOf(budget({ currency: 'USD' }), { errorFields: ['currency'] })).toBe('error');
    expect(severityOf(budget({ amount: '1' }), { errorFieldTypes: [] })).toBe('warning');
    expect(severityOf(budget({ name: 'Food' }), { infoFields: ['name'] })).toBe('info');
    expect(severityOf(budget({ updatedAt: '2026-01-02T03:04:07.000Z' }), { timestampToleranceMs: 5000 })).toBe('info');
  });
});
