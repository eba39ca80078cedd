import type { Pool } from 'pg';
import type { EntityReconcileResult, Finding, ReconcileRunResult } from '../reconcile.types';

interface FindingRow {
  entity: string;
  entity_id: string;
  kind: Finding['kind'];
  field: string | null;
  primary_value: unknown;
  secondary_value: unknown;
  severity: Finding['severity'];
  ledger: Finding['ledger'];
}

/**
 * A finished distributed reconcile run as the in-process Reconciler returns one (for the report file and the CLI's
 * summary): its entities from reconcile_runs.summary, their findings from reconcile_findings. Null while it runs.
 */
export async function readDistributedReconcileResult(control: Pool, runId: string): Promise<ReconcileRunResult | null> {
  const { rows: runs } = await control.query<{ started_at: Date; finished_at: Date | null; duration_ms: number | null; status: string; summary: { entities?: Omit<EntityReconcileResult, 'findings' | 'differingFields'>[]; totals?: ReconcileRunResult['totals'] } }>(
    'select started_at, finished_at, duration_ms, status, summary from reconcile_runs where run_id = $1',
    [runId],
  );
  const run = runs[0];
  if (!run || run.status === 'running' || !run.finished_at) return null;
  const { rows } = await control.query<FindingRow>(
    'select entity, entity_id, kind, field, primary_value, secondary_value, severity, ledger from reconcile_findings where run_id = $1 order by id',
    [runId],
  );
  const findings: Finding[] = rows.map((row) => ({
    entity: row.entity,
    key: row.entity_id,
    kind: row.kind,
    ...(row.field !== null ? { field: row.field } : {}),
    primary: row.primary_value,
    secondary: row.secondary_value,
    severity: row.severity,
    ledger: row.ledger,
  }));
  const entities = (run.summary.entities ?? []).map((summary) => {
    const own = findings.filter((finding) => finding.entity === summary.entity);
    return { ...summary, findings: own, differingFields: own.filter((finding) => finding.field !== undefined) };
  });
  return {
    runId,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at.toISOString(),
    durationMs: run.duration_ms ?? run.finished_at.getTime() - run.started_at.getTime(),
    entities,
    totals: run.summary.totals ?? { findings: findings.length, severity: { info: 0, warning: 0, error: 0 } },
  };
}
