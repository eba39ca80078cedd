import type { Pool } from 'pg';
import type { EntityProgress, RunKind, RunProgress, RunRecord } from './run.types';
import { DistributedRunRepository } from './distributed-run-repository';

interface EntityRow {
  entity: string;
  status: EntityProgress['status'];
  segments_total: number | null;
  rows_planned: string | null;
  error: string | null;
  segments_done: string;
  segments_failed: string;
  rows_covered: string;
  differing_keys: string;
  keys_left: string;
  findings: string;
}

/**
 * A run's progress from the control database: segments done of planned, rows covered of planned, findings stored so
 * far and keys found differing so far, and an ETA from the rate so far (rows covered per second since the run began).
 */
export class RunProgressReader {
  private readonly runs: DistributedRunRepository;

  constructor(private readonly pool: Pool) {
    this.runs = new DistributedRunRepository(pool);
  }

  async progress(runId: string): Promise<RunProgress | null> {
    const run = await this.runs.run(runId);
    return run ? this.of(run) : null;
  }

  async list(kind: RunKind, limit = 20): Promise<RunProgress[]> {
    const runs = await this.runs.list(kind, limit);
    return Promise.all(runs.map((run) => this.of(run)));
  }

  private async of(run: RunRecord): Promise<RunProgress> {
    const { rows } = await this.pool.query<EntityRow & { now: Date }>(
      `select e.entity, e.status, e.segments_total, e.rows_planned, e.error, clock_timestamp() as now,
              count(s.segment_no) filter (where s.status = 'done') as segments_done,
              count(s.segment_no) filter (where s.status = 'failed') as segments_failed,
              coalesce(sum(s.rows_covered) filter (where s.status = 'done'), 0) as rows_covered,
              coalesce(sum(jsonb_array_length(s.result->'candidates')) filter (where s.status = 'done' and jsonb_typeof(s.result->'candidates') = 'array'), 0) as differing_keys,
              coalesce(sum(jsonb_array_length(s.result->'left')) filter (where s.status = 'done' and jsonb_typeof(s.result->'left') = 'array'), 0) as keys_left,
              (select count(*) from reconcile_findings f where f.run_id = e.run_id and f.entity = e.entity and $2 = 'reconcile') as findings
         from distributed_run_entities e left join distributed_run_segments s using (run_id, entity)
        where e.run_id = $1
        group by e.run_id, e.entity, e.position, e.status, e.segments_total, e.rows_planned, e.error
        order by e.position`,
      [run.runId, run.kind],
    );
    const now = rows[0]?.now ?? new Date();
    const entities: EntityProgress[] = rows.map((row) => ({
      entity: row.entity,
      status: row.status,
      segmentsDone: Number(row.segments_done),
      segmentsTotal: row.segments_total,
      rowsCovered: Number(row.rows_covered),
      rowsPlanned: row.rows_planned === null ? null : Number(row.rows_planned),
      findings: Number(row.findings),
      error: row.error,
    }));
    const sum = (pick: (row: EntityRow) => string | number | null) => rows.reduce((total, row) => total + Number(pick(row) ?? 0), 0);
    const segments = { done: sum((row) => row.segments_done), failed: sum((row) => row.segments_failed), total: sum((row) => row.segments_total) };
    const covered = sum((row) => row.rows_covered);
    const planned = sum((row) => row.rows_planned);
    const finishedAt = run.finishedAt;
    const elapsedMs = Math.max(0, (finishedAt ?? now).getTime() - run.startedAt.getTime());
    const allPlanned = entities.every((entity) => entity.segmentsTotal !== null);
    const share = !allPlanned ? 0 : planned > 0 ? Math.min(1, covered / planned) : segments.total > 0 ? segments.done / segments.total : 0;
    const percent = run.status === 'completed' ? 100 : Math.floor(share * 1000) / 10;
    const rowsPerSecond = covered > 0 && elapsedMs > 0 ? Math.round((covered * 1000) / elapsedMs) : null;
    const etaSeconds = run.status === 'running' && share > 0 ? Math.max(0, Math.round(((elapsedMs / share) * (1 - share)) / 1000)) : null;
    return {
      runId: run.runId,
      kind: run.kind,
      status: run.status,
      selection: run.selection,
      requestedBy: run.requestedBy,
      primarySide: run.primarySide,
      startedAt: run.startedAt.toISOString(),
      finishedAt: finishedAt?.toISOString() ?? null,
      elapsedMs,
      error: run.error,
      segments,
      rows: { covered, planned },
      findings: sum((row) => row.findings),
      differingKeys: sum((row) => row.differing_keys),
      keysLeft: sum((row) => row.keys_left),
      percent,
      rowsPerSecond,
      etaSeconds,
      entities,
    };
  }
}
