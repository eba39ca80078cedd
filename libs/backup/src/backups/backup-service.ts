import { Pool } from 'pg';
import type { EntityDefinition } from '@dualwrite/stores';
import type { BackupContext, BackupSource, ProgressListener } from './backup-context';
import { BackupError } from './backup-errors';
import { BackupIndex, type BackupStatus, type BackupSummary } from './backup-index';
import type { BackupKind, BackupManifest, BackupStoreId } from './backup-manifest';
import { BackupStorage } from './backup-storage';
import { createBackup } from './create-backup';
import { drillBackup, type DrillOptions, type DrillReport } from './drill-backup';
import { restoreBackup, type RestoreOptions, type RestoreReport } from './restore-backup';
import { planRetention, type RetentionPolicy } from './retention';
import { completeManifest, validateBackup, type ValidateOptions, type ValidationReport } from './validate-backup';

export interface BackupServiceOptions {
  /** BACKUP_STORAGE_PATH. */
  storagePath: string;
  /** The control database: the backups index (dual_write_backups) and the operation ledger (tombstones). */
  controlDatabaseUrl: string;
  /** Registered entities, parents first. */
  entities: EntityDefinition[];
  /** Each store's PostgreSQL connection: a (PRIMARY_DATABASE_URL), b (SUPABASE_DB_URL). A store left out cannot be backed up. */
  sources: Partial<Record<BackupStoreId, BackupSource>>;
  /** How much older than its parent's snapshot an incremental starts reading (default 60 s). */
  overlapMs?: number;
}

export interface RetentionResult {
  removed: string[];
  kept: string[];
  /** Partial folders (left by a killed process) removed from the storage. */
  partialsRemoved: string[];
}

/**
 * The backups API: take, list, validate, drill, restore and delete backups of either store's registered
 * tables, and apply retention. One instance per process; `close()` ends its control-database pool.
 */
export class BackupService {
  private readonly context: BackupContext;
  private readonly pool: Pool;

  constructor(options: BackupServiceOptions) {
    this.pool = new Pool({ connectionString: options.controlDatabaseUrl, max: 3, idleTimeoutMillis: 1_000 });
    this.pool.on('error', () => undefined);
    this.context = {
      storage: new BackupStorage(options.storagePath),
      index: new BackupIndex(this.pool),
      control: this.pool,
      entities: options.entities,
      sources: options.sources,
      overlapMs: options.overlapMs ?? 60_000,
    };
  }

  get storagePath(): string {
    return this.context.storage.root;
  }

  /** Stores that have a database connection for backups. */
  get stores(): BackupStoreId[] {
    return (Object.keys(this.context.sources) as BackupStoreId[]).filter((store) => this.context.sources[store]);
  }

  /** The configured database of a store (the target of a restore "into store a/b"); the caller keeps it out of logs. */
  databaseUrlOf(store: BackupStoreId): string {
    const source = this.context.sources[store];
    if (!source) throw new BackupError('unsupported_entity', `Store ${store} has no database connection configured for backups.`);
    return source.databaseUrl;
  }

  /** Takes a backup; an incremental builds on the store's newest complete backup (no_parent when there is none). */
  create(request: { store: BackupStoreId; kind: BackupKind; onProgress?: ProgressListener }): Promise<BackupManifest> {
    return createBackup(this.context, request);
  }

  /** Newest first, from the backups index. */
  list(filter: { store?: BackupStoreId; status?: BackupStatus; limit?: number } = {}): Promise<BackupSummary[]> {
    return this.context.index.list(filter);
  }

  /** The index row and manifest of a complete backup (unknown_backup / incomplete_backup otherwise). */
  async get(id: string): Promise<{ summary: BackupSummary | null; manifest: BackupManifest }> {
    const manifest = await completeManifest(this.context, id);
    return { summary: await this.context.index.get(id), manifest };
  }

  validate(id: string, options?: ValidateOptions): Promise<ValidationReport> {
    return validateBackup(this.context, id, options);
  }

  drill(id: string, options?: DrillOptions): Promise<DrillReport> {
    return drillBackup(this.context, id, options);
  }

  restore(id: string, options: RestoreOptions): Promise<RestoreReport> {
    return restoreBackup(this.context, id, options);
  }

  /** Deletes a backup and every incremental built on it: files first, then index rows. */
  async delete(id: string): Promise<{ deleted: string[] }> {
    const summary = await this.context.index.get(id);
    if (!summary && !(await this.context.storage.exists(id))) throw new BackupError('unknown_backup', `Unknown backup id ${id}.`);
    const all = await this.context.index.list({ limit: 100_000 });
    const doomed = new Set([id]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const backup of all) {
        if (backup.parentId && doomed.has(backup.parentId) && !doomed.has(backup.id)) {
          doomed.add(backup.id);
          grew = true;
        }
      }
    }
    const ids = [...doomed];
    for (const doomedId of ids) await this.context.storage.remove(doomedId);
    await this.context.index.remove(ids);
    return { deleted: ids };
  }

  /** Keeps N full backups per store and M days (incrementals go with their full); removes failed runs and stale partial folders. */
  async applyRetention(policy: RetentionPolicy, now = new Date()): Promise<RetentionResult> {
    const staleMs = policy.staleRunningMs ?? 86_400_000;
    await this.context.index.failAbandoned(staleMs);
    const backups = await this.context.index.list({ limit: 100_000 });
    const plan = planRetention(backups, policy, now);
    for (const id of plan.remove) await this.context.storage.remove(id);
    await this.context.index.remove(plan.remove);
    const partialsRemoved = await this.context.storage.removeStalePartials(staleMs, now.getTime());
    return { removed: plan.remove, kept: plan.keep, partialsRemoved };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
