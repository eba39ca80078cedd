import type { ClientBase } from 'pg';
import type { Finding } from './reconcile.types';

const FINDINGS_PER_INSERT = 500;

/** Inserts a run's findings into reconcile_findings, 500 per statement, on the caller's connection (its transaction). */
export async function insertFindings(client: ClientBase, runId: string, findings: readonly Finding[]): Promise<void> {
  for (let start = 0; start < findings.length; start += FINDINGS_PER_INSERT) {
    const chunk = findings.slice(start, start + FINDINGS_PER_INSERT);
    await client.query(
      `insert into reconcile_findings (run_id, entity, entity_id, kind, field, primary_value, secondary_value, severity, ledger)
       select $1, f.entity, f.entity_id, f.kind, f.field, f.primary_value, f.secondary_value, f.severity, f.ledger
         from jsonb_to_recordset($2::jsonb) as f(entity text, entity_id text, kind text, field text, primary_value jsonb, secondary_value jsonb, severity text, ledger text)`,
      [
        runId,
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
}
