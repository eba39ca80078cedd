import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { ReconcileRunRepository } from './run-repository';
import { buildReport, reportFileName, writeReconcileReport, REPORT_FORMAT } from './report-writer';
import type { ReconcileRunResult } from './reconcile.types';
import { applyReconcileTables, createScratchDatabase, dropScratchDatabase } from '../test/scratch-databases';

function run(): ReconcileRunResult {
  const finding = {
    entity: 'budgets',
    key: '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b',
    kind: 'changed' as const,
    field: 'amount',
    primary: '10.5',
    secondary: '10.25',
    severity: 'error' as const,
    ledger: 'quiet' as const,
  };
  const missing = { ...finding, key: '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6c', kind: 'missing_in_secondary' as const, field: undefined, primary: { id: 'x' }, secondary: null };
  delete missing.field;
  return {
    runId: '0190a4b2-0000-7000-8000-0000000000aa',
    startedAt: '2026-11-29T23:59:59.000Z',
    finishedAt: '2026-11-30T00:00:01.500Z',
    durationMs: 2500,
    totals: { findings: 2, severity: { info: 0, warning: 0, error: 2 } },
    entities: [
      {
        entity: 'budgets',
        primaryStore: 'prisma',
        secondaryStore: 'supabase',
        counts: { primary: 10, secondary: 9 },
        missingInSecondary: [missing.key],
        missingInPrimary: [],
        differingFields: [finding],
        findings: [finding, missing],
        severity: { info: 0, warning: 0, error: 2 },
        work: { segmentsVisited: 3, segmentsMismatched: 1, segmentsComparedRowByRow: 1, rowsCompared: 21, keysRechecked: 0 },
        startedAt: '2026-11-29T23:59:59.000Z',
        finishedAt: '2026-11-30T00:00:01.500Z',
        durationMs: 2500,
      },
    ],
  };
}

describe('reconcile report', () => {
  it('is named after the UTC day the run started', () => {
    expect(reportFileName('2026-11-29T23:59:59.000Z')).toBe('reconcile-report-2026-11-29.json');
    expect(() => reportFileName('yesterday')).toThrow('"yesterday" is not a timestamp');
  });

  it('holds per entity counts, missing ids both ways, differing fields with both values, severity and duration', () => {
    const report = buildReport(run());
    expect(report.format).toBe(REPORT_FORMAT);
    expect(report.entities[0]).toMatchObject({
      entity: 'budgets',
      counts: { primary: 10, secondary: 9 },
      missingInSecondary: ['0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6c'],
      missingInPrimary: [],
      differingFields: [{ key: '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b', field: 'amount', primary: '10.5', secondary: '10.25', severity: 'error' }],
      severity: { info: 0, warning: 0, error: 2 },
      durationMs: 2500,
    });
  });

  it('is written as JSON into the directory given', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'reconcile-report-'));
    try {
      const file = await writeReconcileReport(run(), directory);
      expect(path.basename(file)).toBe('reconcile-report-2026-11-29.json');
      expect(await readdir(directory)).toEqual(['reconcile-report-2026-11-29.json']);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(buildReport(run()))));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('ReconcileRunRepository', () => {
  const name = `dw_reconcile_t_runs_${process.pid}_${Date.now() % 100000}`;
  let pool: Pool;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await createScratchDatabase(name), max: 2 });
    await applyReconcileTables(pool);
  });

  afterAll(async () => {
    await pool.end();
    await dropScratchDatabase(name);
  });

  it('stores a run and each of its findings', async () => {
    const repository = new ReconcileRunRepository(pool);
    await repository.save(run(), ['budgets']);
    const { rows: runs } = await pool.query('select selection, status, findings, duration_ms, summary from reconcile_runs');
    expect(runs).toMatchObject([{ selection: ['budgets'], status: 'completed', findings: 2, duration_ms: 2500 }]);
    expect(runs[0].summary.entities[0]).toMatchObject({ entity: 'budgets', counts: { primary: 10, secondary: 9 } });
    const { rows } = await pool.query('select entity_id, kind, field, primary_value, secondary_value, severity, ledger from reconcile_findings order by kind');
    expect(rows).toEqual([
      { entity_id: '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b', kind: 'changed', field: 'amount', primary_value: '10.5', secondary_value: '10.25', severity: 'error', ledger: 'quiet' },
      { entity_id: '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6c', kind: 'missing_in_secondary', field: null, primary_value: { id: 'x' }, secondary_value: null, severity: 'error', ledger: 'quiet' },
    ]);
    expect(await repository.findingCount(run().runId)).toBe(2);
  });

  it('stores nothing of a run when a finding cannot be stored', async () => {
    const broken = run();
    broken.runId = '0190a4b2-0000-7000-8000-0000000000bb';
    (broken.entities[0].findings[1] as { kind: string }).kind = 'not_a_kind';
    await expect(new ReconcileRunRepository(pool).save(broken, 'all')).rejects.toThrow(/reconcile_findings_kind_check/);
    const { rows } = await pool.query('select 1 from reconcile_runs where run_id = $1', [broken.runId]);
    expect(rows).toEqual([]);
  });
});
