import type { PipelineTarget } from './pipeline-target';

/**
 * What the migration pipeline needs from backups: take one before deploying, restore it when a later step fails.
 * A restore must bring back the schema as well as the data (undo the migrations that committed) and be atomic.
 */
export interface PipelineBackups {
  /** A short name for reports, e.g. "pg_dump snapshot". */
  readonly kind: string;
  backup(target: PipelineTarget): Promise<{ id: string }>;
  restore(target: PipelineTarget, backupId: string): Promise<void>;
}
