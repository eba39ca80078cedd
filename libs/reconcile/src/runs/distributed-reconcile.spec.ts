import { eventually, exampleTestDomain } from '@dualwrite/testing';
import { DRIFT_ITEMS_DDL, SEED_DRIFT_ITEMS_SQL, driftItems, driftKey } from '../../test/drift-fixture';
import { LedgerActivity } from '../ledger-activity';
import type { Finding } from '../reconcile.types';
import { Reconciler } from '../reconciler';
import { SqlTableReader } from '../sql-table-reader';
import { DistributedRunRepository } from './distributed-run-repository';
import { RunAlreadyRunningError } from './run-errors';
import { RunCoordinator } from './run-coordinator';
import type { RunProgress } from './run.types';
import { RunsScratch } from './testing/run-fixtures';

const ROWS = 3000;
const SEGMENT_ROWS = 150;

/** JSON with object keys sorted (jsonb stores them in its own order). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([left], [right]) => (left < right ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What identifies a finding and what it says: key, kind, field, both values, severity. */
function identity(finding: Pick<Finding, 'key' | 'kind' | 'field' | 'primary' | 'secondary' | 'severity'>): string {
  return canonical([finding.key, finding.kind, finding.field ?? null, finding.primary, finding.secondary, finding.severity]);
}

describe('distributed reconcile: a BullMQ flow run by worker processes (real PostgreSQL, Redis, BullMQ)', () => {
  const scratch = new RunsScratch('rec', exampleTestDomain);
  let coordinator: RunCoordinator;
  let expected: string[];

  async function storedFindings(runId: string): Promise<string[]> {
    const { rows } = await scratch.control.query<{ entity_id: string; kind: Finding['kind']; field: string | null; primary_value: unknown; secondary_value: unknown; severity: Finding['severity'] }>(
      'select entity_id, kind, field, primary_value, secondary_value, severity from reconcile_findings where run_id = $1',
      [runId],
    );
    return rows.map((row) => identity({ key: row.entity_id, kind: row.kind, field: row.field ?? undefined, primary: row.primary_value, secondary: row.secondary_value, severity: row.severity })).sort();
  }

  async function finished(runId: string, timeoutMs = 90_000): Promise<RunProgress> {
    return eventually(async () => {
      const progress = await coordinator.progress(runId);
      return progress && progress.status !== 'running' ? progress : undefined;
    }, timeoutMs);
  }

  async function segmentRows(runId: string): Promise<{ segment_no: number; status: string; worker: string | null }[]> {
    const { rows } = await scratch.control.query<{ segment_no: number; status: string; worker: string | null }>(
      'select segment_no, status, worker from distributed_run_segments where run_id = $1 order by segment_no',
      [runId],
    );
    return rows;
  }

  beforeAll(async () => {
    await scratch.create();
    for (const pool of [scratch.a, scratch.b]) {
      await pool.query(DRIFT_ITEMS_DDL);
      await pool.query(SEED_DRIFT_ITEMS_SQL, [ROWS]);
    }
    // Drift spread over many segments: rows missing on each side, changed fields of several types.
    for (const n of [7, 800, 2999]) await scratch.b.query('delete from drift_items where id = $1', [driftKey(n)]);
    for (const n of [150, 1600]) await scratch.a.query('delete from drift_items where id = $1', [driftKey(n)]);
    for (const n of [42, 1234, 2500]) await scratch.b.query("update drift_items set label = 'changed' where id = $1", [driftKey(n)]);
    await scratch.b.query('update drift_items set amount = amount + 0.01 where id = $1', [driftKey(2001)]);
    await scratch.b.query("update drift_items set extra = extra || '{\"n\": -1}' where id = $1", [driftKey(333)]);
    const inProcess = await new Reconciler({
      entities: [driftItems],
      primary: new SqlTableReader('store_a', scratch.a),
      secondary: new SqlTableReader('store_b', scratch.b),
      ledger: new LedgerActivity(scratch.control),
    }).run('all');
    expected = inProcess.entities.flatMap((entity) => entity.findings).map(identity).sort();
    coordinator = new RunCoordinator({ entities: [driftItems], control: scratch.control, queue: scratch.queue, primarySide: async () => 'a' });
  }, 120_000);

  afterAll(async () => {
    await coordinator?.close();
    await scratch.drop();
  });

  afterEach(() => scratch.stopWorkers());

  it('two worker processes share the segments and store exactly the findings of the in-process Reconciler', async () => {
    expect(expected).toHaveLength(10);
    await scratch.startWorker({ RUNS_TEST_DELAY_MS: '50' });
    await scratch.startWorker({ RUNS_TEST_DELAY_MS: '50' });

    const { runId } = await coordinator.start({ kind: 'reconcile', selection: 'all', options: { segmentRows: SEGMENT_ROWS }, requestedBy: 'spec' });
    const progress = await finished(runId);

    expect(progress).toMatchObject({ status: 'completed', segments: { done: 20, failed: 0, total: 20 }, findings: 10, percent: 100, etaSeconds: null });
    expect(progress.rows.covered).toBeGreaterThanOrEqual(ROWS - 2);
    expect(await storedFindings(runId)).toEqual(expected);
    const workers = new Set((await segmentRows(runId)).map((segment) => segment.worker));
    expect(workers.size).toBe(2);
    const { rows } = await scratch.control.query("select status, findings, summary->'entities'->0->'counts' as counts from reconcile_runs where run_id = $1", [runId]);
    expect(rows[0]).toEqual({ status: 'completed', findings: 10, counts: { primary: ROWS - 2, secondary: ROWS - 3 } });
  });

  it('a worker SIGKILLed mid-run: another finishes it, nothing lost or counted twice, the same findings; progress moves', async () => {
    const doomed = await scratch.startWorker({ RUNS_TEST_DELAY_MS: '400', RUNS_TEST_CONCURRENCY: '1' });
    const { runId } = await coordinator.start({ kind: 'reconcile', selection: ['drift_items'], options: { segmentRows: SEGMENT_ROWS }, requestedBy: 'spec' });
    const early = await eventually(async () => {
      const progress = await coordinator.progress(runId);
      return progress && progress.segments.done >= 3 ? progress : undefined;
    }, 60_000);
    doomed.kill('SIGKILL');
    expect((await doomed.finished).signal).toBe('SIGKILL');
    expect(early).toMatchObject({ status: 'running', segments: { total: 20 } });
    expect(early.segments.done).toBeLessThan(20);
    expect(early.etaSeconds).not.toBeNull();
    expect(early.rowsPerSecond).toBeGreaterThan(0);

    await scratch.startWorker({ RUNS_TEST_DELAY_MS: '0' });
    const progress = await finished(runId);

    expect(progress).toMatchObject({ status: 'completed', segments: { done: 20, failed: 0, total: 20 }, findings: 10 });
    expect(progress.segments.done).toBeGreaterThan(early.segments.done);
    expect(progress.rows.covered).toBeGreaterThanOrEqual(ROWS - 2);
    expect(await storedFindings(runId)).toEqual(expected);
    const segments = await segmentRows(runId);
    expect(segments.map((segment) => segment.segment_no)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(new Set(segments.map((segment) => segment.worker)).size).toBe(2);
  });

  it('a second run of an entity being reconciled is refused, naming the running run', async () => {
    const first = await coordinator.start({ kind: 'reconcile', selection: 'all', options: { segmentRows: SEGMENT_ROWS }, requestedBy: 'spec' });

    const second = coordinator.start({ kind: 'reconcile', selection: ['drift_items'], requestedBy: 'spec' });

    await expect(second).rejects.toThrow(RunAlreadyRunningError);
    await expect(second).rejects.toThrow(`a reconcile of drift_items is already running: run ${first.runId}`);
    const { rows } = await scratch.control.query<{ n: number }>("select count(*)::int as n from distributed_runs where status = 'running'");
    expect(rows[0]?.n).toBe(1);
    // The refused run left nothing; once the first ends, the entity can be reconciled again.
    await scratch.startWorker();
    expect(await finished(first.runId)).toMatchObject({ status: 'completed' });
    const again = await coordinator.start({ kind: 'reconcile', selection: ['drift_items'], options: { segmentRows: 1000 }, requestedBy: 'spec' });
    expect(await finished(again.runId)).toMatchObject({ status: 'completed', findings: 10, segments: { total: 3 } });
  });

  it('while reconcile-data (in process) holds an entity, a distributed run of it is refused, and nothing recorded', async () => {
    // reconcile-data's per-entity session advisory lock (tools/src/cli/reconcile-lock.ts), held by another session.
    const holder = await scratch.control.connect();
    try {
      await holder.query('select pg_advisory_lock(7201912, hashtext($1))', ['reconcile:drift_items']);
      await expect(coordinator.start({ kind: 'reconcile', selection: 'all', requestedBy: 'spec' })).rejects.toThrow(
        new RunAlreadyRunningError('reconcile', 'drift_items', null, ' (reconcile-data)'),
      );
      const { rows } = await scratch.control.query<{ n: number }>("select count(*)::int as n from distributed_runs where status = 'running'");
      expect(rows[0]?.n).toBe(0);
    } finally {
      await holder.query('select pg_advisory_unlock_all()');
      holder.release();
    }
  });

  it('a run whose planning fails for good ends failed, naming why, and releases its entities', async () => {
    await scratch.b.query('alter table drift_items rename to drift_items_away');
    try {
      await scratch.startWorker();
      const { runId } = await coordinator.start({ kind: 'reconcile', selection: 'all', requestedBy: 'spec' });
      const progress = await finished(runId);
      expect(progress).toMatchObject({ status: 'failed', error: expect.stringContaining('the run job failed:') });
      expect(progress.error).toContain('drift_items');
      expect(await new DistributedRunRepository(scratch.control).holder('reconcile', 'drift_items')).toBeNull();
      const { rows } = await scratch.control.query('select status from reconcile_runs where run_id = $1', [runId]);
      expect(rows).toEqual([{ status: 'failed' }]);
    } finally {
      await scratch.b.query('alter table drift_items_away rename to drift_items');
    }
  });

  it('an unknown entity and a bad option are refused before anything is recorded', async () => {
    await expect(coordinator.start({ kind: 'reconcile', selection: ['drift'], requestedBy: 'spec' })).rejects.toThrow('Unknown entity "drift". Known entities: drift_items.');
    await expect(coordinator.start({ kind: 'reconcile', selection: 'all', options: { segmentRows: 0 }, requestedBy: 'spec' })).rejects.toThrow('segmentRows must be a whole number of at least 1, got 0');
  });
});
