import type { Pool } from 'pg';
import type { EntityReconcileResult, ReconcileRunResult } from './reconcile.types';

/** A run as stored: the summary per entity (everything but the findings, which have their own rows). */
export type EntitySummary = Omit<EntityReconcileResult, 'findings' | 'differingFields'>;

const FINDINGS_PER_INSERT = 500;

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
      for (let start = 0; start < findings.length; start += FINDINGS_PER_INSERT) {
        const chunk = findings.slice(start, start + FINDINGS_PER_INSERT);
        await client.query(
          `insert into reconcile_findings (run_id, entity, entity_id, kind, field, primary_value, secondary_value, severity, ledger)
           select $1, f.entity, f.entity_id, f.kind, f.field, f.primary_value, f.secondary_value, f.severity, f.ledger
             from jsonb_to_recordset($2::jsonb) as f(entity text, entity_id text, kind text, field text,
                                                     primary_value jsonb, secondary_value jsonb, severity text, ledger text)`,
          [
            run.runId,
            JSON.stringify(
              chunk.map((finding) => ({
                entity: finding.entity,
                entity_id: finding.key,
                kind: finding.kind,
                field: finding.field ?? null,
                primary_value: finding.primary ?? null,
                secondary_value: finding.secondary ?? null,
                severity: finding.severity,
                ledger: finding.ledger,
              })),
            ),
          ],
        );
      }
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
