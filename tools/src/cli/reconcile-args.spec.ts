import { UsageError } from './args';
import { parseReconcileArgs } from './reconcile-args';

const entities = ['users', 'budgets', 'posts', 'comments'];

describe('parseReconcileArgs', () => {
  it('reads all entities, no report, and allows no finding by default', () => {
    expect(parseReconcileArgs(['--entity=all'], entities)).toEqual({ kind: 'reconcile', entities: 'all', report: false, reportDir: '.', maxFindings: 0, distributed: false });
  });

  it('reads one entity, the report and its directory, and a finding budget', () => {
    expect(parseReconcileArgs(['--entity=budgets', '--report', '--report-dir=/tmp/r', '--max-findings=5'], entities)).toEqual({
      kind: 'reconcile',
      entities: ['budgets'],
      report: true,
      reportDir: '/tmp/r',
      maxFindings: 5,
      distributed: false,
    });
  });

  it('reads --distributed and its segment size; --segment-rows alone or not a positive integer is refused', () => {
    expect(parseReconcileArgs(['--entity=users', '--distributed', '--segment-rows=5000'], entities)).toMatchObject({ distributed: true, segmentRows: 5000 });
    expect(() => parseReconcileArgs(['--entity=users', '--segment-rows=5000'], entities)).toThrow(new UsageError('--segment-rows goes with --distributed'));
    expect(() => parseReconcileArgs(['--entity=users', '--distributed', '--segment-rows=0'], entities)).toThrow(
      new UsageError('--segment-rows must be a positive integer (rows per segment job), got "0"'),
    );
  });

  it('refuses an unknown entity, listing the valid ones', () => {
    expect(() => parseReconcileArgs(['--entity=invoices'], entities)).toThrow(
      new UsageError('--entity: unknown entity "invoices"; valid: all, users, budgets, posts, comments'),
    );
  });

  it('requires --entity', () => {
    expect(() => parseReconcileArgs([], entities)).toThrow('--entity is required: all, or one of users, budgets, posts, comments');
  });

  it.each([['-1'], ['1.5'], ['ten'], ['']])('refuses --max-findings=%s', (value) => {
    expect(() => parseReconcileArgs(['--entity=all', `--max-findings=${value}`], entities)).toThrow(/--max-findings must be a non-negative integer/);
  });

  it('refuses an unknown flag by name', () => {
    expect(() => parseReconcileArgs(['--entity=all', '--fix'], entities)).toThrow(/--fix/);
  });

  it('refuses --report-dir without --report', () => {
    expect(() => parseReconcileArgs(['--entity=all', '--report-dir=x'], entities)).toThrow('--report-dir goes with --report');
  });

  it('answers --help', () => {
    expect(parseReconcileArgs(['--help'], entities)).toEqual({ kind: 'help' });
  });
});
