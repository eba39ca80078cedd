import { UsageError, integerFlag, parseFlags } from './args';

export type ReconcileRequest =
  | { kind: 'help' }
  | { kind: 'reconcile'; entities: 'all' | string[]; report: boolean; reportDir: string; maxFindings: number; distributed: boolean; segmentRows?: number };

export const RECONCILE_USAGE = [
  'usage: npm run reconcile-data -- --entity=all|<name> [--report] [--report-dir=<dir>] [--max-findings=N] [--distributed [--segment-rows=N]]',
  '  compares every row of the entity (or of all entities) on both stores; runs and findings are stored in the',
  '  control database; --report also writes reconcile-report-YYYY-MM-DD.json into --report-dir (default: here)',
  '  exit code 1 when the findings are more than --max-findings (default 0) or an entity could not be reconciled',
  '  --distributed  queue the run for the worker processes (DW_RUNS_QUEUE; segment jobs of --segment-rows rows, default',
  '                 50000) and follow its progress; the same findings, stored and reported the same way',
].join('\n');

/** Reads the command line; `entityNames` are the registered entities, named in the error for an unknown one. */
export function parseReconcileArgs(argv: string[], entityNames: readonly string[]): ReconcileRequest {
  const values = parseFlags(argv, {
    entity: { type: 'string' },
    report: { type: 'boolean', default: false },
    'report-dir': { type: 'string' },
    'max-findings': { type: 'string' },
    distributed: { type: 'boolean', default: false },
    'segment-rows': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  const entity = values.entity?.trim();
  if (!entity) throw new UsageError(`--entity is required: all, or one of ${entityNames.join(', ')}`);
  if (entity !== 'all' && !entityNames.includes(entity)) {
    throw new UsageError(`--entity: unknown entity "${entity}"; valid: all, ${entityNames.join(', ')}`);
  }
  const maxFindingsText = values['max-findings'];
  const maxFindings = maxFindingsText === undefined ? 0 : integerFlag('--max-findings', maxFindingsText, { allowZero: true, meaning: 'findings allowed before the exit code is 1' });
  const reportDir = values['report-dir'];
  if (reportDir !== undefined && !values.report) throw new UsageError('--report-dir goes with --report');
  if (reportDir !== undefined && reportDir.trim() === '') throw new UsageError('--report-dir must name a directory');
  const segmentRowsText = values['segment-rows'];
  if (segmentRowsText !== undefined && !values.distributed) throw new UsageError('--segment-rows goes with --distributed');
  const segmentRows = segmentRowsText === undefined ? undefined : integerFlag('--segment-rows', segmentRowsText, { meaning: 'rows per segment job' });
  return {
    kind: 'reconcile',
    entities: entity === 'all' ? 'all' : [entity],
    report: values.report === true,
    reportDir: reportDir ?? '.',
    maxFindings,
    distributed: values.distributed === true,
    ...(segmentRows === undefined ? {} : { segmentRows }),
  };
}
