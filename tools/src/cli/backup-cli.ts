import path from 'node:path';
import { BackupService, isBackupError } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { exampleEntities } from '@dualwrite/example-domain';

/** What the backup CLIs share: the BackupService of the configured stores, and one way to end. */

const root = path.resolve(__dirname, '..', '..', '..');

export function configuredBackups(): BackupService {
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();
  const dbUrlB = config.supabase?.dbUrl;
  return new BackupService({
    storagePath: path.resolve(root, config.backupStoragePath),
    controlDatabaseUrl: config.controlDatabaseUrl,
    entities: exampleEntities,
    sources: { a: { databaseUrl: config.primaryDatabaseUrl }, ...(dbUrlB ? { b: { databaseUrl: dbUrlB } } : {}) },
  });
}

export const out = (text: string) => process.stdout.write(`${text}\n`);
export const err = (text: string) => process.stderr.write(`${text}\n`);

/** Runs a CLI's work; a BackupError (or any error) becomes one line on stderr and exit code 1. */
export async function runBackupCommand(work: (backups: BackupService) => Promise<boolean>): Promise<void> {
  const backups = configuredBackups();
  try {
    const ok = await work(backups);
    if (!ok) process.exitCode = 1;
  } catch (error) {
    err(isBackupError(error) ? error.message : `failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await backups.close();
  }
}
