import type { Pool } from 'pg';
import { insertFindings } from './finding-rows';
import type { EntityReconcileResult, ReconcileRunResult } from './reconcile.types';

/** A run as stored: the summary per entity (everything but the findings, which have their own rows). */
export type EntitySummary = Omit<EntityReconcileResult, 'findings' | 'differingFields'>;

/** Reconcile runs and their findings in the control database (libs/reconcile/migrations). */
export class ReconcileRunRepository {
  constructor(private readonly pool: Pool) {}

  /** Stores a finished run and every finding in one transaction: all of it or nothing. */
  async save(run: ReconcileRunResult, selection: 'all' | readonly string[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const failed = run.entities.some((entity) => entity.error !== undefined);
      await client.query(
        `insert into reconcile_runs (run_id, selection, status, started_at, finished_at, duration_ms, findings, summary)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          run.runId,
          selection === 'all' ? ['all'] : [...selection],
          failed ? 'failed' : 'completed',
          run.startedAt,
          run.finishedAt,
          run.durationMs,
          run.totals.findings,
          JSON.stringify({ entities: run.entities.map(summaryOf), totals: run.totals }),
        ],
      );
      const findings = run.entities.flatMap((entity) => entity.findings);
      await insertFindings(client, run.runId, findings);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async findingCount(runId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('select count(*) as n from reconcile_findings where run_id = $1', [runId]);
    return Number(rows[0].n);
  }
}

function summaryOf(entity: EntityReconcileResult): EntitySummary {
  const { findings: _findings, differingFields: _fields, ...summary } = entity;
  return summary;
}
