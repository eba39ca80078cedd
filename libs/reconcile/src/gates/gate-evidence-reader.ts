import type { Pool } from 'pg';
import type { EntityGateEvidence, GateEvidenceSource } from '@dualwrite/dual-write';
import { CopyRunRepository } from '../copy/copy-repository';

/** The two stores' names, as the copy runs record them (store A is the one being left). */
export interface GateStoreNames {
  a: string;
  b: string | null;
}

/**
 * What the phase gates judge, read from the control database: per entity, when its latest complete copy in each
 * direction finished (CopyRunRepository) and when its latest clean reconcile finished: a completed run that
 * reconciled the entity without error and recorded no finding for it (reconcile_runs, reconcile_findings; not
 * created yet means none).
 */
export class GateEvidenceReader implements GateEvidenceSource {
  constructor(
    private readonly pool: Pool,
    private readonly stores: GateStoreNames,
  ) {}

  async read(entities: string[]): Promise<{ at: Date; entities: Record<string, EntityGateEvidence> }> {
    const { rows: tables } = await this.pool.query<{ now: Date; reconciles: string | null }>(
      `select now() as now, to_regclass('reconcile_runs')::text as reconciles`,
    );
    const at = tables[0]?.now ?? new Date();
    const evidence: Record<string, EntityGateEvidence> = Object.fromEntries(
      entities.map((entity) => [entity, { copied: { 'a-to-b': null, 'b-to-a': null }, cleanReconcileAt: null }]),
    );
    await this.readCopies(entities, evidence);
    if (tables[0]?.reconciles) await this.readReconciles(entities, evidence);
    return { at, entities: evidence };
  }

  private async readCopies(entities: string[], evidence: Record<string, EntityGateEvidence>): Promise<void> {
    const runs = new CopyRunRepository(this.pool);
    const { a, b } = this.stores;
    if (b === null) return;
    for (const entity of entities) {
      const facts = evidence[entity] as EntityGateEvidence;
      const [forward, reverse] = await Promise.all([runs.lastCompleted(entity, a, b), runs.lastCompleted(entity, b, a)]);
      facts.copied['a-to-b'] = forward?.finishedAt ?? null;
      facts.copied['b-to-a'] = reverse?.finishedAt ?? null;
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
