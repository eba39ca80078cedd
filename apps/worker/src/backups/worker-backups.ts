import { BackupService } from '@dualwrite/backup';
import type { PlatformConfig } from '@dualwrite/config';
import type { EntityDefinition } from '@dualwrite/stores';

/** Injection token of the worker's BackupService. */
export const WORKER_BACKUPS = Symbol('WORKER_BACKUPS');

/** The backups of the configured stores: store A's database, and store B's when SUPABASE_DB_URL is set. */
export function createWorkerBackups(config: PlatformConfig, entities: EntityDefinition[]): BackupService {
  const dbUrlB = config.supabase?.dbUrl;
  return new BackupService({
    storagePath: config.backupStoragePath,
    controlDatabaseUrl: config.controlDatabaseUrl,
    entities,
    sources: { a: { databaseUrl: config.primaryDatabaseUrl }, ...(dbUrlB ? { b: { databaseUrl: dbUrlB } } : {}) },
  });
}
