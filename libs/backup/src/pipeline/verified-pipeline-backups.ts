import { Client } from 'pg';
import type { EntityDefinition } from '@dualwrite/stores';
import type { BackupManifest, BackupStoreId } from '../backups/backup-manifest';
import type { RestoreOptions, RestoreReport } from '../backups/restore-backup';
import type { PipelineBackups } from './pipeline-backups';
import type { PipelineTarget } from './pipeline-target';

/** What this needs of BackupService (libs/backup/src/backups): a full backup of a store, its restore, and close. */
export interface StoreBackupService {
  create(request: { store: BackupStoreId; kind: 'full' }): Promise<BackupManifest>;
  restore(id: string, options: RestoreOptions): Promise<RestoreReport>;
  close(): Promise<void>;
}

/** Opens a BackupService for these entities (a backup covers the registered tables that exist before the deploy). */
export type StoreBackupServiceFactory = (entities: EntityDefinition[]) => StoreBackupService;

/** The backup-id part when no registered table existed yet (a first deploy): nothing to back up or verify. */
const NO_DATA_BACKUP = 'none';

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
 * - BackupService takes a full backup of the store's registered tables that exist (COPY files, sha256 per file,
 *   content checksums, listed in the backups index): the data, hashed and restorable on its own (none before a
 *   first deploy);
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
    private readonly openService: StoreBackupServiceFactory,
    private readonly snapshots: PipelineBackups,
    private readonly store: BackupStoreId,
  ) {}

  async backup(target: PipelineTarget): Promise<{ id: string }> {
    // An entity whose table a pending migration creates has nothing to back up yet.
    const present = await entitiesWithTables(target);
    const backupId = present.length === 0 ? NO_DATA_BACKUP : await this.withService(present, async (service) => (await service.create({ store: this.store, kind: 'full' })).id);
    const snapshot = await this.snapshots.backup(target);
    return { id: `${snapshot.id}${SEPARATOR}${backupId}` };
  }

  private async withService<T>(entities: EntityDefinition[], work: (service: StoreBackupService) => Promise<T>): Promise<T> {
    const service = this.openService(entities);
    try {
      return await work(service);
    } finally {
      await service.close();
    }
  }

  async restore(target: PipelineTarget, id: string): Promise<void> {
    const parts = id.split(SEPARATOR);
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new PipelineBackupIdError(id);
    const [snapshotId, backupId] = parts;
    await this.snapshots.restore(target, snapshotId);
    if (backupId === NO_DATA_BACKUP) return;
    const report = await this.withService(target.entities, (service) => service.restore(backupId, { targetUrl: target.databaseUrl, verify: true }));
    if (!report.verified) throw new Error(`Backup ${backupId} was restored without its content checksums being verified.`);
  }
}

/** The target's entities whose table exists (in registry order). */
async function entitiesWithTables(target: PipelineTarget): Promise<EntityDefinition[]> {
  const client = new Client({ connectionString: target.databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and relname = any($1::text[])`,
      [target.entities.map((entity) => entity.table)],
    );
    const existing = new Set(rows.map((row) => row.name));
    return target.entities.filter((entity) => existing.has(entity.table));
  } finally {
    await client.end().catch(() => undefined);
  }
}
