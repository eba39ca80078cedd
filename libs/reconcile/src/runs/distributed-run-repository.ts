import type { Pool, PoolClient } from 'pg';
import { insertFindings } from '../finding-rows';
import type { Finding } from '../reconcile.types';
import { RunAlreadyRunningError } from './run-errors';
import type { PlannedSegment, RunEntityRecord, RunKind, RunOptions, RunRecord, RunStatus, SegmentRecord } from './run.types';

interface RunRow {
  run_id: string;
  kind: RunKind;
  selection: string[];
  status: RunStatus;
  requested_by: string;
  primary_side: 'a' | 'b';
  options: RunOptions;
  ledger_started_at: Date;
  started_at: Date;
  finished_at: Date | null;
  error: string | null;
}

function toRun(row: RunRow): RunRecord {
  return {
    runId: row.run_id,
    kind: row.kind,
    selection: row.selection,
    status: row.status,
    requestedBy: row.requested_by,
    primarySide: row.primary_side,
    options: row.options,
    ledgerStartedAt: row.ledger_started_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

export interface NewRun {
  runId: string;
  kind: RunKind;
  selection: string[];
  /** The entities, in the order their jobs are planned (a copy re-orders them parents first). */
  entities: string[];
  primarySide: 'a' | 'b';
  options: RunOptions;
  requestedBy: string;
}

/**
 * Distributed runs in the control database (distributed_runs and its entities, segments and locks; migration
 * 20261129230000). Every write a job makes is keyed by run, entity and segment and guarded by the row's status,
 * so a job delivered again (its worker killed after the write) changes nothing the second time.
 */
export class DistributedRunRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Records a new run and takes its entities' locks in one transaction: refused (RunAlreadyRunningError naming the
   * running run) when a run of the same kind holds any of them, with nothing written. A reconcile run also gets its
   * reconcile_runs row (status running), which its findings reference.
   */
  async create(run: NewRun): Promise<RunRecord> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<RunRow>(
        `insert into distributed_runs (run_id, kind, selection, status, requested_by, primary_side, options, ledger_started_at)
         values ($1, $2, $3, 'running', $4, $5, $6, clock_timestamp()) returning *`,
        [run.runId, run.kind, run.selection, run.requestedBy, run.primarySide, JSON.stringify(run.options)],
      );
      const { rows: locked } = await client.query<{ entity: string }>(
        `insert into distributed_run_locks (kind, entity, run_id) select $1, unnest($2::text[]), $3 on conflict do nothing returning entity`,
        [run.kind, run.entities, run.runId],
      );
      const taken = new Set(locked.map((row) => row.entity));
      const busy = run.entities.find((entity) => !taken.has(entity));
      if (busy !== undefined) {
        const { rows: holder } = await client.query<{ run_id: string; started_at: Date; requested_by: string }>(
          `select l.run_id, r.started_at, r.requested_by from distributed_run_locks l join distributed_runs r using (run_id) where l.kind = $1 and l.entity = $2`,
          [run.kind, busy],
        );
        const running = holder[0];
        throw new RunAlreadyRunningError(run.kind, busy, running?.run_id ?? 'unknown', running ? ` (started ${running.started_at.toISOString()} by ${running.requested_by})` : '');
      }
      await client.query(
        `insert into distributed_run_entities (run_id, entity, position, status) select $1, entity, position::int - 1, 'pending'
           from unnest($2::text[]) with ordinality as e (entity, position)`,
        [run.runId, run.entities],
      );
      if (run.kind === 'reconcile') {
        await client.query(`insert into reconcile_runs (run_id, selection, status, started_at) values ($1, $2, 'running', now())`, [run.runId, run.selection]);
      }
      return toRun(rows[0] as RunRow);
    });
  }

  /** Who holds an entity's lock of this kind, if anyone. */
  async holder(kind: RunKind, entity: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ run_id: string }>('select run_id from distributed_run_locks where kind = $1 and entity = $2', [kind, entity]);
    return rows[0]?.run_id ?? null;
  }

  async run(runId: string): Promise<RunRecord | null> {
    const { rows } = await this.pool.query<RunRow>('select * from distributed_runs where run_id = $1', [runId]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async list(kind: RunKind, limit: number): Promise<RunRecord[]> {
    const { rows } = await this.pool.query<RunRow>('select * from distributed_runs where kind = $1 order by started_at desc limit $2', [kind, limit]);
    return rows.map(toRun);
  }

  async entities(runId: string): Promise<RunEntityRecord[]> {
    const { rows } = await this.pool.query<{
      entity: string;
      position: number;
      status: RunEntityRecord['status'];
      segments_total: number | null;
      rows_planned: string | null;
      copy_run_id: string | null;
      result: unknown;
      error: string | null;
    }>('select * from distributed_run_entities where run_id = $1 order by position', [runId]);
    return rows.map((row) => ({
      entity: row.entity,
      position: row.position,
      status: row.status,
      segmentsTotal: row.segments_total,
      rowsPlanned: row.rows_planned === null ? null : Number(row.rows_planned),
      copyRunId: row.copy_run_id,
      result: row.result,
      error: row.error,
    }));
  }

  /** Stores an entity's plan once: a second plan (a run job delivered again) leaves the first in place. */
  async plan(runId: string, entity: string, segments: PlannedSegment[], copyRunId: string | null = null): Promise<void> {
    await this.inTransaction(async (client) => {
      const { rows } = await client.query<{ status: string }>('select status from distributed_run_entities where run_id = $1 and entity = $2 for update', [runId, entity]);
      if (rows[0]?.status !== 'pending') return;
      await client.query(
        `insert into distributed_run_segments (run_id, entity, segment_no, range, rows_planned, status)
         select $1, $2, s.segment_no, s.range, s.rows_planned, case when s.done then 'done' else 'pending' end
           from jsonb_to_recordset($3::jsonb) as s (segment_no int, range jsonb, rows_planned bigint, done boolean)`,
        [runId, entity, JSON.stringify(segments.map((s) => ({ segment_no: s.segmentNo, range: s.range, rows_planned: s.rowsPlanned, done: s.done === true })))],
      );
      await client.query(
        `update distributed_run_entities set status = 'queued', segments_total = $3, rows_planned = $4, copy_run_id = $5 where run_id = $1 and entity = $2`,
        [runId, entity, segments.length, segments.reduce((sum, s) => sum + s.rowsPlanned, 0), copyRunId],
      );
    });
  }

  async segments(runId: string, entity: string): Promise<SegmentRecord[]> {
    const { rows } = await this.pool.query<{ segment_no: number; range: SegmentRecord['range']; rows_planned: string; status: SegmentRecord['status']; rows_covered: string; result: unknown; error: string | null }>(
      'select segment_no, range, rows_planned, status, rows_covered, result, error from distributed_run_segments where run_id = $1 and entity = $2 order by segment_no',
      [runId, entity],
    );
    return rows.map((row) => ({
      segmentNo: row.segment_no,
      range: row.range,
      rowsPlanned: Number(row.rows_planned),
      status: row.status,
      rowsCovered: Number(row.rows_covered),
      result: row.result,
      error: row.error,
    }));
  }

  async segment(runId: string, entity: string, segmentNo: number): Promise<SegmentRecord | null> {
    return (await this.segments(runId, entity)).find((segment) => segment.segmentNo === segmentNo) ?? null;
  }

  /** Records a segment's result; false when it was already recorded (the job ran before and its worker died after). */
  async segmentDone(runId: string, entity: string, segmentNo: number, rowsCovered: number, result: unknown, worker: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `update distributed_run_segments set status = 'done', rows_covered = $4, result = $5, worker = $6, finished_at = now(), error = null
        where run_id = $1 and entity = $2 and segment_no = $3 and status <> 'done'`,
      [runId, entity, segmentNo, rowsCovered, JSON.stringify(result), worker],
    );
    return rowCount === 1;
  }

  async segmentFailed(runId: string, entity: string, segmentNo: number, error: string, worker: string): Promise<void> {
    await this.pool.query(
      `update distributed_run_segments set status = 'failed', error = $4, worker = $5, finished_at = now() where run_id = $1 and entity = $2 and segment_no = $3 and status = 'pending'`,
      [runId, entity, segmentNo, error.slice(0, 2000), worker],
    );
  }

  /**
   * Finalises an entity once: its result (and a reconcile's findings) in one transaction, guarded by its status, so
   * an entity job delivered again stores nothing twice. False when it was already finalised.
   */
  async entityDone(runId: string, entity: string, outcome: { result: unknown; error?: string; findings?: readonly Finding[] }): Promise<boolean> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<{ status: string }>('select status from distributed_run_entities where run_id = $1 and entity = $2 for update', [runId, entity]);
      if (rows[0]?.status !== 'queued') return false;
      await insertFindings(client, runId, outcome.findings ?? []);
      await client.query(
        `update distributed_run_entities set status = $3, result = $4, error = $5, finished_at = now() where run_id = $1 and entity = $2`,
        [runId, entity, outcome.error === undefined ? 'completed' : 'failed', JSON.stringify(outcome.result), outcome.error ?? null],
      );
      return true;
    });
  }

  /**
   * Ends a running run once: its status, its locks released, and for a reconcile its reconcile_runs row completed with
   * the summary the phase gates and compensate-data read. False when it had already ended.
   */
  async finish(runId: string, outcome: { status: 'completed' | 'failed'; error?: string; reconcileSummary?: { summary: unknown; findings: number } }): Promise<boolean> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<{ started_at: Date }>(
        `update distributed_runs set status = $2, error = $3, finished_at = now() where run_id = $1 and status = 'running' returning started_at`,
        [runId, outcome.status, outcome.error ?? null],
      );
      if (rows.length === 0) return false;
      await client.query('delete from distributed_run_locks where run_id = $1', [runId]);
      if (outcome.reconcileSummary) {
        await client.query(
          `update reconcile_runs set status = $2, finished_at = now(), duration_ms = (extract(epoch from now() - started_at) * 1000)::int, findings = $3, summary = $4
            where run_id = $1`,
          [runId, outcome.status, outcome.reconcileSummary.findings, JSON.stringify(outcome.reconcileSummary.summary)],
        );
      }
      return true;
    });
  }

  async findingCount(runId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('select count(*) as n from reconcile_findings where run_id = $1', [runId]);
    return Number(rows[0]?.n ?? 0);
  }

  /** The control database's clock. */
  async now(): Promise<Date> {
    const { rows } = await this.pool.query<{ now: Date }>('select clock_timestamp() as now');
    return rows[0]?.now ?? new Date();
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
