// @dualwrite/dual-write: the write engine and what runs beside it. The Nest module a host registers,
// flags, the operation ledger, replay, breakers, diffs, metrics and alerts.

export { DualWriteModule } from './module/dual-write.module';
export type { DualWriteModuleAsyncOptions, DualWriteModuleOptions } from './module/dual-write.options';
export { DUAL_WRITE_OPTIONS } from './module/dual-write.tokens';

export { DualWriteControlModule, controlSettingsOf } from './control/dual-write-control.module';
export { DUAL_WRITE_CONTROL_OPTIONS } from './control/dual-write-control.module-definition';
export { storesByName, type ControlSettings, type DualWriteControlOptions, type StorePair } from './control/dual-write-control.options';
export { DUAL_WRITE_CONTROL_POOL, DUAL_WRITE_CONTROL_SETTINGS, DUAL_WRITE_STORES } from './control/dual-write-control.tokens';
export { RedisConnections } from './control/redis-connections';
export { DualWriteService, type WriteOptions } from './module/dual-write.service';
export { DualWrite, type DualWriteOperation } from './module/dual-write.decorator';
export { DualWriteInterceptor, parseIdempotencyKey } from './module/dual-write.interceptor';

export { DualWriteEngine, PrimaryKeyRequiredError, type DualWriteEngineOptions, type WriteRequest } from './engine/dual-write-engine';
export type { DualWriteResult, StoreOutcome, StoreOutcomeStatus, StoreRole } from './engine/dual-write-result';
export { InsertBatcher, type InsertBatcherOptions } from './engine/insert-batcher';
export { BackpressureError, isBackpressureError } from './engine/backpressure-error';

export { describeMode, modeOf, type DualWriteFlags, type DualWriteMode, type DualWriteModeName } from './flags/dual-write-mode';
export {
  FlagRepository,
  InvalidFlagChangeError,
  RolesMovedError,
  StaleFlagsError,
  type FlagChange,
  type FlagChangeSource,
  type FlagHistoryEntry,
  type FlagState,
} from './flags/flag-repository';
export { FlagService, type CurrentFlags, type FlagServiceOptions } from './flags/flag-service';
export {
  FlagSwitcher,
  FlipInProgressError,
  FlipRefusedError,
  PhaseGateRefusedError,
  type FlipResult,
  type FlagSwitcherOptions,
  type GateEvidenceSource,
  type PhaseGatesOptions,
} from './flags/flag-switcher';
export { isStep, needsEvidence, unmetGateConditions, type CopyDirection, type EntityGateEvidence, type GateEvidence, type GatePolicy, type Phase } from './flags/phase-gates';
export { PROCESS_LIVE_WITHIN_MS, ProcessRegistry, newProcessId, type ProcessReport } from './flags/process-registry';

export { FlagsMovedError, OperationLedger, type OperationRecord, type OperationStatus, type WriteOperation } from './ledger/operation-ledger';
export { LedgerTransitionError, OPERATION_STATUSES, nextStatus, type OperationEvent } from './ledger/operation-transitions';
export { keysOverlapSql } from './ledger/key-overlap';

export { DIFFS_QUEUE, REPLAY_QUEUE, bullConnection, closeRedis, openRedis, type RedisRole } from './queues/redis-connection';
export { DEFAULT_REDIS_KEY_PREFIX, platformRedisKeys, type PlatformRedisKeys } from './queues/redis-keys';
export { DEFAULT_REPLAY_ATTEMPTS, ReplayQueue, type ReplayJobData, type ReplayQueueOptions } from './replay/replay-queue';
export { ReplayProcessor, type ReplayOutcome, type ReplayProcessorOptions } from './replay/replay-processor';
export { requeueOwedOperations } from './replay/ledger-sweep';
export { KeySync, type KeySyncOptions, type LeftKey, type StoreGuard, type SyncReport, type SyncRoles } from './sync/key-sync';

export { StoreBreakers, type StoreBreakersOptions } from './breakers/store-breakers';
export { BreakerOpenError, isBreakerOpenError } from './breakers/breaker-open-error';
export type { BreakerSettings, BreakerStateName, StoreBreakerState } from './breakers/breaker.types';

export { DiffPolicy, type DiffPolicyOptions } from './compare/diff-policy';
export { DEFAULT_DIFF_SEVERITY_RULES, classifyDiffSeverity, type DiffSeverity, type DiffSeverityRules } from './compare/diff-severity';
export { DiffQueue } from './diffs/diff-queue';
export type { DiffRecord, DiffSink } from './diffs/diff-record';
export { DiffRepository, type DiffListFilter, type DiffStatsRow, type StoredDiff } from './diffs/diff-repository';

export { DualWriteMetricsModule } from './metrics/dual-write-metrics.module';
export { PrometheusDualWriteMetrics } from './metrics/prometheus-dual-write-metrics';
export type { DualWriteMetrics } from './metrics/dual-write-metrics';

export { DEFAULT_ALERT_THRESHOLDS, type Alert, type AlertSnapshot, type AlertThresholds } from './alerts/alert.types';
export { AlertEvaluator } from './alerts/alert-evaluator';
export { AlertNotifier } from './alerts/alert-notifier';
export { AlertSnapshotReader } from './alerts/alert-snapshot-reader';
export { RollbackGuard, type Rollback } from './alerts/rollback-guard';
export { BreakerStateBoard, BreakerStatePublisher } from './alerts/breaker-state-board';
