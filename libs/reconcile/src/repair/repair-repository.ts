import type { Pool } from 'pg';
import type { AppliedKeyAction, RepairInput, RepairResult } from './repair.types';

const ACTIONS_PER_INSERT = 500;

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
