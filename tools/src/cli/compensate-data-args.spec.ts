import { UsageError } from './args';
import { parseCompensateDataArgs } from './compensate-data-args';

describe('compensate-data arguments', () => {
  it('a report file or a run id; a dry run unless --apply', () => {
    expect(parseCompensateDataArgs(['--report=reconcile-report-2026-11-29.json'])).toEqual({
      kind: 'compensate',
      source: { report: 'reconcile-report-2026-11-29.json' },
      apply: false,
      json: false,
    });
    expect(parseCompensateDataArgs(['--run=6F1C2D3E-4A5B-4C6D-8E7F-8091A2B3C4D5', '--apply', '--json'])).toEqual({
      kind: 'compensate',
      source: { run: '6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5' },
      apply: true,
      json: true,
    });
    expect(parseCompensateDataArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [[], '--report=<file> or --run=<uuid> is required'],
    [['--report=a.json', '--run=6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5'], '--report and --run cannot go together'],
    [['--report='], '--report must name a reconcile report file'],
    [['--run=yesterday'], '--run must be a reconcile run id (a uuid), got "yesterday"'],
    [['--report=a.json', '--force'], "Unknown option '--force'"],
    [['--report=a.json', 'extra'], "Unexpected argument 'extra'"],
    [['--apply=yes', '--report=a.json'], "Option '--apply' does not take an argument"],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseCompensateDataArgs(argv)).toThrow(UsageError);
    expect(() => parseCompensateDataArgs(argv)).toThrow(message);
  });
});
