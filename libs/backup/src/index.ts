export * from './migrations/migration-files';
export * from './migrations/sql-migration-runner';

// Backups of the stores' registered tables: full and incremental, validate, drill, restore, retention.
export { BackupService, type BackupServiceOptions, type RetentionResult } from './backups/backup-service';
export type { BackupSource, BackupProgress, ProgressListener } from './backups/backup-context';
export { BackupError, isBackupError, redactUrl, type BackupErrorKind } from './backups/backup-errors';
export type { BackupStatus, BackupSummary } from './backups/backup-index';
export type { BackupFileEntry, BackupKind, BackupManifest, BackupStoreId, BackupTableEntry } from './backups/backup-manifest';
export type { DrillOptions, DrillReport, DrillTableResult } from './backups/drill-backup';
export type { RestoreOptions, RestoreReport, RestoreTablePlan } from './backups/restore-backup';
export { planRetention, type RetentionCandidate, type RetentionPlan, type RetentionPolicy } from './backups/retention';
export { describeBadFile, type BadFile, type ValidateOptions, type ValidationReport } from './backups/validate-backup';
