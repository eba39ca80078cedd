import type { Pool } from 'pg';
import type { AppliedKeyAction, RepairInput, RepairResult } from './repair.types';

const ACTIONS_PER_INSERT = 500;

/** A repair as repair_runs holds it. */
export interface RepairRunRecord {
  repairId: string;
  reportRunId: string;
  /** The report file (or the label of a report sent in a request) the findings came from; null for a stored run. */
  reportFile: string | null;
  primaryStore: string;
  secondaryStore: string;
  status: 'running' | 'completed' | 'failed';
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
  /** Counts per outcome, the keys left with their reasons, warnings, duration (empty while running). */
  summary: Record<string, unknown>;
  error: string | null;
}

/** One key's planned action and outcome, as repair_actions holds it. */
export interface RepairActionRecord {
  entity: string;
  key: string;
  action: string;
  outcome: string;
  detail: string;
  reason: string | null;
  stillDiffers: boolean;
}

interface RunRow {
  repair_id: string;
  report_run_id: string;
  report_file: string | null;
  primary_store: string;
  secondary_store: string;
  status: RepairRunRecord['status'];
  requested_by: string;
  started_at: Date;
  finished_at: Date | null;
  summary: Record<string, unknown>;
  error: string | null;
}

const RUN_COLUMNS = 'repair_id, report_run_id, report_file, primary_store, secondary_store, status, requested_by, started_at, finished_at, summary, error';

/** The audit of applied repairs in the control database: repair_runs and repair_actions (libs/reconcile/migrations). */
export class RepairRunRepository {
  constructor(private readonly pool: Pool) {}

  /** Records a repair as running before it writes anything to a store. */
  async start(repairId: string, input: RepairInput, roles: { primary: string; secondary: string }, requestedBy: string): Promise<void> {
    await this.pool.query(
      `insert into repair_runs (repair_id, report_run_id, report_file, primary_store, secondary_store, status, requested_by)
       values ($1, $2, $3, $4, $5, 'running', $6)`,
      [repairId, input.runId, input.origin.kind === 'file' ? input.origin.path : null, roles.primary, roles.secondary, requestedBy],
    );
  }

  /** Every key's action and outcome and the run's end, in one transaction. */
  async finish(result: RepairResult, error?: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      for (let start = 0; start < result.actions.length; start += ACTIONS_PER_INSERT) {
        const chunk = result.actions.slice(start, start + ACTIONS_PER_INSERT);
        await client.query(
          `insert into repair_actions (repair_id, entity, entity_id, action, outcome, detail, reason, still_differs)
           select $1, a.entity, a.entity_id, a.action, a.outcome, a.detail, a.reason, a.still_differs
             from jsonb_to_recordset($2::jsonb) as a(entity text, entity_id text, action text, outcome text, detail text, reason text, still_differs boolean)`,
          [result.repairId, JSON.stringify(chunk.map(toRecord))],
        );
      }
      const summary = { counts: result.counts, left: result.left, warnings: result.warnings, durationMs: result.durationMs };
      await client.query(`update repair_runs set status = $2, finished_at = now(), summary = $3, error = $4 where repair_id = $1`, [
        result.repairId,
        error === undefined ? 'completed' : 'failed',
        JSON.stringify(summary),
        error ?? null,
      ]);
      await client.query('commit');
    } catch (failure) {
      await client.query('rollback').catch(() => undefined);
      throw failure;
    } finally {
      client.release();
    }
  }

  /** Repairs, newest first. */
  async list(limit: number): Promise<RepairRunRecord[]> {
    const { rows } = await this.pool.query<RunRow>(`select ${RUN_COLUMNS} from repair_runs order by started_at desc, repair_id limit $1`, [limit]);
    return rows.map(runRecord);
  }

  /** One repair with its first `actionLimit` actions (in the order they were planned) and how many it has; null when unknown. */
  async get(repairId: string, actionLimit: number): Promise<{ run: RepairRunRecord; actions: RepairActionRecord[]; actionsTotal: number } | null> {
    const { rows } = await this.pool.query<RunRow>(`select ${RUN_COLUMNS} from repair_runs where repair_id = $1`, [repairId]);
    const run = rows[0];
    if (!run) return null;
    const [actions, total] = await Promise.all([
      this.pool.query<{ entity: string; entity_id: string; action: string; outcome: string; detail: string; reason: string | null; still_differs: boolean }>(
        'select entity, entity_id, action, outcome, detail, reason, still_differs from repair_actions where repair_id = $1 order by id limit $2',
        [repairId, actionLimit],
      ),
      this.pool.query<{ n: number }>('select count(*)::int as n from repair_actions where repair_id = $1', [repairId]),
    ]);
    return {
      run: runRecord(run),
      actions: actions.rows.map((row) => ({
        entity: row.entity,
        key: row.entity_id,
        action: row.action,
        outcome: row.outcome,
        detail: row.detail,
        reason: row.reason,
        stillDiffers: row.still_differs,
      })),
      actionsTotal: total.rows[0]?.n ?? 0,
    };
  }

  /** A repair that stopped on an error before its actions were known. */
  async fail(repairId: string, error: string): Promise<void> {
    await this.pool.query(`update repair_runs set status = 'failed', finished_at = now(), error = $2 where repair_id = $1`, [repairId, error]);
  }
}

function toRecord(action: AppliedKeyAction) {
  return {
    entity: action.entity,
    entity_id: action.key,
    action: action.action,
    outcome: action.outcome,
    detail: action.detail,
    reason: action.reason ?? null,
    still_differs: action.stillDiffers,
  };
}

function runRecord(row: RunRow): RepairRunRecord {
  return {
    repairId: row.repair_id,
    reportRunId: row.report_run_id,
    reportFile: row.report_file,
    primaryStore: row.primary_store,
    secondaryStore: row.secondary_store,
    status: row.status,
    requestedBy: row.requested_by,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    summary: row.summary,
    error: row.error,
  };
}
