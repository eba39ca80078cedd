import { UsageError, parseFlags } from './args';

export type CompensateDataRequest =
  | { kind: 'help' }
  | { kind: 'compensate'; source: { report: string } | { run: string }; apply: boolean; json: boolean };

export const COMPENSATE_DATA_USAGE = [
  'usage: npm run compensate-data -- (--report=<file> | --run=<uuid>) [--apply] [--json]',
  '  repairs what a reconcile run found, from the current primary (per the flags) through the write protocol\'s',
  '  key sync. Without --apply it is a dry run: every change it would make, every key it would skip or leave and why;',
  '  nothing is written.',
  '  --report  a reconcile-report-YYYY-MM-DD.json written by reconcile-data --report',
  '  --run     a run id from reconcile_runs (its findings carry both rows, so more changes since are caught)',
  '  --apply   repair: copy the primary\'s rows, delete a row only the secondary holds when the ledger proves a delete,',
  '            skip keys changed since the report; audited in repair_runs / repair_actions; every key re-checked after',
  '  --json    print the plan or the result as JSON instead of lines',
  '  exit code 1 when keys are left after --apply (each listed with its reason) or the input is refused',
].join('\n');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the command line: exactly one of --report and --run. */
export function parseCompensateDataArgs(argv: string[]): CompensateDataRequest {
  const values = parseFlags(argv, {
    report: { type: 'string' },
    run: { type: 'string' },
    apply: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { kind: 'help' };
  const report = values.report?.trim();
  const run = values.run?.trim();
  if (report === undefined && run === undefined) throw new UsageError('--report=<file> or --run=<uuid> is required: the reconcile findings to repair');
  if (report !== undefined && run !== undefined) throw new UsageError('--report and --run cannot go together: give one source of findings');
  if (report === '') throw new UsageError('--report must name a reconcile report file');
  if (run !== undefined && !UUID.test(run)) throw new UsageError(`--run must be a reconcile run id (a uuid), got "${run}"`);
  return {
    kind: 'compensate',
    source: report !== undefined ? { report } : { run: (run as string).toLowerCase() },
    apply: values.apply === true,
    json: values.json === true,
  };
}
