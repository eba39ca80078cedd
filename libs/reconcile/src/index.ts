// @dualwrite/reconcile: whole-table reconciliation between the two stores (segment checksums in the databases,
// bisection of mismatched segments, a re-check after the ledger's writes settled), its runs, findings and report.
// Also the initial copy, repair, verification and backfill, and the evidence the phase gates judge.

export type {
  EntityReconcileResult,
  Finding,
  KeyBoundarySource,
  LedgerState,
  ReconcileOptions,
  ReconcileRunResult,
  ReconcileSide,
  ReconcileWork,
  SegmentChecksumSource,
  SeveritySummary,
} from './reconcile.types';
export { Reconciler, selectEntities, severitySummary, type ReconcilerDependencies } from './reconciler';
export { SqlTableReader, type ReaderQueryCounts } from './sql-table-reader';
export { LedgerActivity, UNSETTLED_STATUSES } from './ledger-activity';
export { compareKeys, keyText } from './key-order';
export { splitParts, splitRange, segmentVerdict } from './segment-search';
export { ReconcileRunRepository, type EntitySummary } from './run-repository';
export { REPORT_FORMAT, buildReport, reportFileName, writeReconcileReport } from './report-writer';
export { RECONCILE_MIGRATIONS_DIR } from './reconcile-migrations';

// Initial copy (copy-data): chunked, resumable, throttled, through the protocol's KeySync.
export { InitialCopy, CopyStoppedError, type InitialCopyDependencies } from './copy/initial-copy';
export { CopySourceNotPrimaryError } from './copy/copy-roles';
export type { CopyOptions, CopyProgress, CopyResult, CopySelection, CopySide, EntityCopyPlan, EntityCopyResult, LeftKeySummary } from './copy/copy.types';
export { CopyAlreadyRunningError, CopyRunRepository, type CopyRunRecord, type CopyRunStatus } from './copy/copy-repository';
export { SqlKeyLister, StorePageKeyLister, type KeyLister, type KeyPlan, type KeyWindow } from './copy/key-lister';
export { planChunks, type PlannedChunk } from './copy/chunk-plan';
export { parentsFirst, readForeignKeys, type ForeignKeyEdge } from './copy/table-order';
export { DEFAULT_BACKOFF_RULES, TokenBucket, nextSpeedFactor, type BackoffRules, type LatencySample } from './copy/throttle';
export type { SpeedSettings } from './copy/copy-speed';
// The COPY-streamed chunks (copy-data with SUPABASE_DB_URL): COPY between the two databases, insert-only.
export { ChunkConflictError, StreamedChunkCopier, type ChunkPacing, type SqlSide, type StreamedChunk, type StreamedVia } from './copy/copy-stream';
export type { ChunkVia } from './copy/copy.types';

// Phase gates: the copy and reconcile records the flags' gates judge (FlagSwitcher, @dualwrite/dual-write).
export { GateEvidenceReader, type GateStoreNames } from './gates/gate-evidence-reader';

// Repair (compensate-data): a reconcile run's findings repaired from the current primary through KeySync, audited.
export { DataRepair, type DataRepairDependencies } from './repair/data-repair';
export { RepairInputError, parseReport, readReconcileRun, readReportFile } from './repair/repair-input';
export { RepairRunRepository, type RepairActionRecord, type RepairRunRecord } from './repair/repair-repository';
export { decideRepair, type KeyState, type WriteSinceReport } from './repair/repair-decision';
export type {
  AppliedKeyAction,
  KeyLeft,
  PlannedKeyAction,
  RecordedDifference,
  RecordedEntity,
  RepairActionKind,
  RepairInput,
  RepairOutcome,
  RepairPlan,
  RepairProgress,
  RepairResult,
} from './repair/repair.types';

// Verification and backfill (seed runbook): validateDataConsistency, verify-counts, verify-dual-write, backfill-gap.
export { ConsistencyCheck, validateDataConsistency, type ConsistencyCheckDependencies } from './verify/consistency-check';
export { InvalidEntityKeyError, parseEntityKey } from './verify/entity-key';
export { recommendConsistencyActions, type ConsistencyFacts } from './verify/recommendations';
export { verifyCounts } from './verify/count-verification';
export { DualWriteVerifier, InvalidWindowError, MAX_VERIFY_MINUTES, type DualWriteVerificationDependencies } from './verify/dual-write-verification';
export { BackfillGap, InvalidSinceError, parseSince, type BackfillGapDependencies } from './verify/backfill-gap';
export { SqlChangedKeys, StoreScanChangedKeys, updatedAtFieldOf, type ChangedKeySource } from './verify/changed-keys';
export type {
  BackfillResult,
  ConsistencyReport,
  CountVerification,
  DualWriteVerification,
  EntityBackfillResult,
  EntityCountComparison,
  GapKey,
  KeyLedger,
  KeyMismatch,
  LedgerOpView,
  StoreRowView,
} from './verify/verify.types';

// Distributed runs (reconcile and copy as BullMQ flows: run → entity → segment jobs, any number of workers).
export { RunCoordinator, checkRunOptions, type RunCoordinatorDependencies } from './runs/run-coordinator';
export { RunWorker, type RunWorkerDependencies, type RunWorkerSettings } from './runs/run-worker';
export { RunProgressReader } from './runs/run-progress';
export { DistributedRunRepository } from './runs/distributed-run-repository';
export { InvalidRunRequestError, RunAlreadyRunningError, UnknownRunError } from './runs/run-errors';
export { DEFAULT_RUNS_QUEUE, type RunQueueSettings } from './runs/run-queue';
export { RunSettingsError, parseRunSettings, type RunSettings } from './runs/run-settings';
export type { RunSide } from './runs/reconcile-steps';
export type { EntityProgress, RunKind, RunOptions, RunProgress, RunStatus, StartRunRequest, StartedRun } from './runs/run.types';
export { readDistributedReconcileResult } from './runs/run-result';
