export * from './migrations/migration-files';
export * from './migrations/sql-migration-runner';

// Backups of the stores' registered tables: full and incremental, validate, drill, restore, retention.
export { BackupService, type BackupServiceOptions, type RetentionResult } from './backups/backup-service';
export type { BackupSource, BackupProgress, ProgressListener } from './backups/backup-context';
export { BackupJobQueue, openBackupWorker, runBackupJob, type BackupJobData, type BackupJobState, type BackupJobView } from './backups/backup-jobs';
export { BackupError, isBackupError, type BackupErrorKind } from './backups/backup-errors';
export type { BackupStatus, BackupSummary } from './backups/backup-index';
export type { BackupFileEntry, BackupKind, BackupManifest, BackupStoreId, BackupTableEntry } from './backups/backup-manifest';
export type { DrillOptions, DrillReport, DrillTableResult } from './backups/drill-backup';
export type { RestoreOptions, RestoreReport, RestoreTablePlan } from './backups/restore-backup';
export { planRetention, type RetentionCandidate, type RetentionPlan, type RetentionPolicy } from './backups/retention';
export { describeBadFile, type BadFile, type ValidateOptions, type ValidationReport } from './backups/validate-backup';

// Migration pipeline: check → backup → deploy → validate → health, restored on failure (db:* commands).
export { MigrationPipeline, type MigrationPipelineOptions, type PipelineReport, type PipelineStepReport } from './pipeline/migration-pipeline';
export { nextPipelineAction, PIPELINE_STEPS, type PipelineAction, type PipelineProgress, type PipelineResult, type PipelineStep, type StepOutcome } from './pipeline/pipeline-decision';
export type { PipelineLimits, PipelineTarget } from './pipeline/pipeline-target';
export type { PipelineBackups } from './pipeline/pipeline-backups';
export { PgDumpPipelineBackups, SnapshotCorruptError, SnapshotNotFoundError } from './pipeline/pg-dump-backups';
export { VerifiedPipelineBackups, type StoreBackupService, type StoreBackupServiceFactory } from './pipeline/verified-pipeline-backups';
export { WebhookNotifier, type PipelineNotification, type PipelineNotifier } from './pipeline/webhook-notifier';
export { DEFAULT_CONNECTION_RETRY, DatabaseUnreachableError, type ConnectionRetrySettings } from './pipeline/connection-retry';
export { StepTimeoutError } from './pipeline/step-timeout';
export { redactDatabaseUrl, withDatabase } from './pipeline/database-url';
export type { MigrationCheckReport } from './pipeline/migration-check';
export type { MigrationValidateReport } from './pipeline/migration-validate';
export type { HealthCheckReport } from './pipeline/health-check';
export { describeDifference, type SchemaDifference } from './pipeline/schema-diff';

// Schema sync of store B against the entity registry (GET/POST /admin/schema-sync).
export { SchemaSync, SchemaSyncError, type SchemaSyncReport, type SchemaSyncResult } from './schema-sync/schema-sync';
export type { SchemaSyncFinding, SchemaSyncFindingKind } from './schema-sync/schema-sync-plan';
