import { REPORT_FORMAT } from '../report-writer';
import { RepairInputError, parseReport } from './repair-input';

const valid = {
  format: REPORT_FORMAT,
  runId: '6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5',
  startedAt: '2026-11-29T20:00:00.000Z',
  finishedAt: '2026-11-29T20:00:05.000Z',
  durationMs: 5000,
  totals: { findings: 3, severity: { info: 0, warning: 0, error: 3 } },
  entities: [
    {
      entity: 'budgets',
      primaryStore: 'prisma',
      secondaryStore: 'supabase',
      counts: { primary: 10, secondary: 10 },
      missingInSecondary: ['k1'],
      missingInPrimary: ['k2'],
      differingFields: [{ key: 'k3', field: 'amount', kind: 'changed', primary: '1.5', secondary: '2', severity: 'error', ledger: 'quiet' }],
    },
  ],
};

const parse = (value: unknown) => () => parseReport(typeof value === 'string' ? value : JSON.stringify(value), 'report.json');

describe('reading a reconcile report for a repair', () => {
  it('reads every key with what was recorded: missing rows by key only, field differences with both values', () => {
    const input = parseReport(JSON.stringify(valid), 'report.json');
    expect(input).toMatchObject({ origin: { kind: 'file', path: 'report.json' }, runId: valid.runId, finishedAt: valid.finishedAt });
    expect([...(input.entities[0]?.keys ?? [])]).toEqual([
      ['k1', [{ kind: 'missing_in_secondary' }]],
      ['k2', [{ kind: 'missing_in_primary' }]],
      ['k3', [{ kind: 'changed', field: 'amount', values: { primary: '1.5', secondary: '2' } }]],
    ]);
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(parse('{"format": ')).toThrow(new RepairInputError(`report.json is not JSON: ${jsonError('{"format": ')}`));
  });

  it('refuses a foreign file (another format, or none) before looking further', () => {
    expect(parse({ ...valid, format: 'dualwrite.backup-manifest/1' })).toThrow(
      'report.json is not a reconcile report: format "dualwrite.backup-manifest/1", expected "dualwrite.reconcile-report/1" (written by reconcile-data --report)',
    );
    expect(parse([1, 2])).toThrow('report.json is not a reconcile report: no "format" field');
  });

  it('names each malformed place of a reconcile report', () => {
    const broken = { ...valid, runId: 'run-1', entities: [{ ...valid.entities[0], missingInPrimary: 'k2', differingFields: [{ key: 'k3', kind: 'renamed' }] }] };
    expect(parse(broken)).toThrow(RepairInputError);
    expect(parse(broken)).toThrow(/report\.json is a malformed reconcile report: runId: not a uuid; entities\.0\.missingInPrimary: .*; entities\.0\.differingFields\.0\.field: .*; entities\.0\.differingFields\.0\.kind: /);
    expect(parse({ ...valid, finishedAt: 'yesterday' })).toThrow('finishedAt: not a timestamp');
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}
