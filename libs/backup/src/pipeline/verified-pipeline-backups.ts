import type { BackupManifest, BackupStoreId } from '../backups/backup-manifest';
import type { RestoreOptions, RestoreReport } from '../backups/restore-backup';
import type { PipelineBackups } from './pipeline-backups';
import type { PipelineTarget } from './pipeline-target';

/** What this needs of BackupService (libs/backup/src/backups): a full backup of a store, and its restore. */
export interface StoreBackupService {
  create(request: { store: BackupStoreId; kind: 'full' }): Promise<BackupManifest>;
  restore(id: string, options: RestoreOptions): Promise<RestoreReport>;
}

/** Joins the two ids of one pipeline backup; both id alphabets are [A-Za-z0-9._-]. */
const SEPARATOR = '~';

export class PipelineBackupIdError extends Error {
  constructor(id: string) {
    super(`"${id}" is not a pipeline backup id (<snapshot id>${SEPARATOR}<backup id>).`);
    this.name = 'PipelineBackupIdError';
  }
}

/**
 * The pipeline's backup before a deploy, made of the platform's real backup and a schema snapshot:
 * - BackupService takes a full backup of the store's registered tables (COPY files, sha256 per file, content
 *   checksums, listed in the backups index): the data, hashed and restorable on its own;
 * - PgDumpPipelineBackups takes a snapshot of the tables the migrations manage (schema and data, ledger included).
 * A BackupService restore alone cannot undo a migration: it reloads the registered tables' rows and refuses a
 * target whose schema changed. So the rollback first restores the snapshot (one transaction: the tables and the
 * migration ledger as they were, tables created since dropped), then runs BackupService's restore of the full
 * backup into the same database (one transaction: every file re-hashed, rows reloaded, each table's content
 * checksum compared with the manifest before commit). The rollback succeeds only when both did.
 */
export class VerifiedPipelineBackups implements PipelineBackups {
  readonly kind = 'BackupService full backup + pg_dump snapshot of the managed tables';

  constructor(
    private readonly service: StoreBackupService,
    private readonly snapshots: PipelineBackups,
    private readonly store: BackupStoreId,
  ) {}

  async backup(target: PipelineTarget): Promise<{ id: string }> {
    const manifest = await this.service.create({ store: this.store, kind: 'full' });
    const snapshot = await this.snapshots.backup(target);
    return { id: `${snapshot.id}${SEPARATOR}${manifest.id}` };
  }

  async restore(target: PipelineTarget, id: string): Promise<void> {
    const parts = id.split(SEPARATOR);
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new PipelineBackupIdError(id);
    const [snapshotId, backupId] = parts;
    await this.snapshots.restore(target, snapshotId);
    const report = await this.service.restore(backupId, { targetUrl: target.databaseUrl, verify: true });
    if (!report.verified) throw new Error(`Backup ${backupId} was restored without its content checksums being verified.`);
  }
}
