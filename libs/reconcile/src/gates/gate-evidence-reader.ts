import type { Pool } from 'pg';
import type { EntityGateEvidence, GateEvidenceSource } from '@dualwrite/dual-write';

/** The two stores' names, as the copy runs record them (store A is the one being left). */
export interface GateStoreNames {
  a: string;
  b: string | null;
}

/**
 * What the phase gates judge, read from the control database: per entity, when its latest complete copy in each
 * direction finished (dual_write_copy_runs) and when its latest clean reconcile finished: a completed run that
 * reconciled the entity without error and recorded no finding for it (reconcile_runs, reconcile_findings).
 * Tables not created yet mean no such record.
 */
export class GateEvidenceReader implements GateEvidenceSource {
  constructor(
    private readonly pool: Pool,
    private readonly stores: GateStoreNames,
  ) {}

  async read(entities: string[]): Promise<{ at: Date; entities: Record<string, EntityGateEvidence> }> {
    const { rows: tables } = await this.pool.query<{ now: Date; copies: string | null; reconciles: string | null }>(
      `select now() as now, to_regclass('dual_write_copy_runs')::text as copies, to_regclass('reconcile_runs')::text as reconciles`,
    );
    const at = tables[0]?.now ?? new Date();
    const evidence: Record<string, EntityGateEvidence> = Object.fromEntries(
      entities.map((entity) => [entity, { copied: { 'a-to-b': null, 'b-to-a': null }, cleanReconcileAt: null }]),
    );
    if (tables[0]?.copies) await this.readCopies(entities, evidence);
    if (tables[0]?.reconciles) await this.readReconciles(entities, evidence);
    return { at, entities: evidence };
  }

  private async readCopies(entities: string[], evidence: Record<string, EntityGateEvidence>): Promise<void> {
    const { rows } = await this.pool.query<{ entity: string; source_store: string; target_store: string; finished_at: Date }>(
      `select entity, source_store, target_store, max(finished_at) as finished_at from dual_write_copy_runs
        where status = 'completed' and entity = any($1) group by entity, source_store, target_store`,
      [entities],
    );
    for (const row of rows) {
      const facts = evidence[row.entity];
      if (!facts) continue;
      if (row.source_store === this.stores.a && row.target_store === this.stores.b) facts.copied['a-to-b'] = row.finished_at;
      if (row.source_store === this.stores.b && row.target_store === this.stores.a) facts.copied['b-to-a'] = row.finished_at;
    }
  }

  private async readReconciles(entities: string[], evidence: Record<string, EntityGateEvidence>): Promise<void> {
    const { rows } = await this.pool.query<{ entity: string; finished_at: Date }>(
      `select part->>'entity' as entity, max(run.finished_at) as finished_at
         from reconcile_runs as run, jsonb_array_elements(run.summary->'entities') as part
        where run.status = 'completed' and part->>'entity' = any($1) and part->>'error' is null
          and not exists (select 1 from reconcile_findings as finding where finding.run_id = run.run_id and finding.entity = part->>'entity')
        group by part->>'entity'`,
      [entities],
    );
    for (const row of rows) {
      const facts = evidence[row.entity];
      if (facts) facts.cleanReconcileAt = row.finished_at;
    }
  }
}
