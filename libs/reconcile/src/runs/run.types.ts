import type { RowKey } from '@dualwrite/stores';

export type RunKind = 'reconcile' | 'copy';
export type RunStatus = 'running' | 'completed' | 'failed';
export type RunEntityStatus = 'pending' | 'queued' | 'completed' | 'failed';

/** What a distributed run was asked to do, as stored with it (distributed_runs.options). */
export interface RunOptions {
  /** Reconcile: rows per segment job (default 50,000); copy: keys per chunk job (default 1000). */
  segmentRows?: number;
  /** Reconcile: the SegmentSearch settings inside a segment (Reconciler defaults). */
  rowCompareLimit?: number;
  concurrency?: number;
  batchSize?: number;
  settleTimeoutMs?: number;
  ignoreFields?: string[];
  /** Copy: rows per second for the whole run whatever the number of workers (RunPace); absent: as fast as they go. */
  rate?: number;
}

export interface StartRunRequest {
  kind: RunKind;
  selection: 'all' | string[];
  /** Reconcile: ignored (the flags say which store is primary when the run starts); copy: the source store. */
  from?: 'a' | 'b';
  options?: RunOptions;
  requestedBy: string;
}

export interface StartedRun {
  runId: string;
  kind: RunKind;
  entities: string[];
}

export interface RunRecord {
  runId: string;
  kind: RunKind;
  selection: string[];
  status: RunStatus;
  requestedBy: string;
  primarySide: 'a' | 'b';
  options: RunOptions;
  ledgerStartedAt: Date;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

export interface RunEntityRecord {
  entity: string;
  position: number;
  status: RunEntityStatus;
  segmentsTotal: number | null;
  rowsPlanned: number | null;
  copyRunId: string | null;
  result: unknown;
  error: string | null;
}

/** A reconcile segment's key range [from, to) (absent bound: open) or a copy chunk's keys (afterKey, upToKey]. */
export interface SegmentRange {
  from?: RowKey;
  to?: RowKey;
  afterKey?: string | null;
  upToKey?: string | null;
  /** Copy: keys per KeySync batch (the copy run's chunk size). */
  chunkSize?: number;
}

export interface PlannedSegment {
  segmentNo: number;
  range: SegmentRange;
  rowsPlanned: number;
  /** Already done when planned (a resumed copy's finished chunks). */
  done?: boolean;
}

export interface SegmentRecord extends PlannedSegment {
  status: 'pending' | 'done' | 'failed';
  rowsCovered: number;
  result: unknown;
  error: string | null;
}

/** A run's progress as REST and the CLI show it. */
export interface RunProgress {
  runId: string;
  kind: RunKind;
  status: RunStatus;
  selection: string[];
  requestedBy: string;
  /** Reconcile: the primary store side (a or b) when the run began; copy: the source side. */
  primarySide: 'a' | 'b';
  startedAt: string;
  finishedAt: string | null;
  elapsedMs: number;
  error: string | null;
  segments: { done: number; failed: number; total: number };
  rows: { covered: number; planned: number };
  /** Reconcile: findings stored so far (entities finalised) and keys found differing so far (not yet re-checked). */
  findings: number;
  differingKeys: number;
  /** Copy: keys left as they were (no source row, no delete proven) so far. */
  keysLeft: number;
  percent: number;
  rowsPerSecond: number | null;
  /** Seconds left at the rate so far; null until a segment is done, and once the run finished. */
  etaSeconds: number | null;
  entities: EntityProgress[];
}

export interface EntityProgress {
  entity: string;
  status: RunEntityStatus;
  segmentsDone: number;
  segmentsTotal: number | null;
  rowsCovered: number;
  rowsPlanned: number | null;
  findings: number;
  error: string | null;
}

/** Data of the run queue's jobs. */
export type RunJobData =
  | { step: 'run'; runId: string }
  | { step: 'entity'; runId: string; entity: string }
  | { step: 'segment'; runId: string; entity: string; segmentNo: number };
