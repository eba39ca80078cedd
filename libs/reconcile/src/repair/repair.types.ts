import type { DifferenceKind } from '@dualwrite/stores';

/**
 * A difference a reconcile run recorded for one key, oriented as the run saw it (its primary and secondary store).
 * `values` is absent when the source did not record them: a report file lists only the keys of missing rows.
 */
export interface RecordedDifference {
  kind: DifferenceKind;
  /** Domain field; absent when a whole row is missing. */
  field?: string;
  values?: { primary: unknown; secondary: unknown };
}

/** What a run found for one entity: every key with its differences. */
export interface RecordedEntity {
  entity: string;
  primaryStore: string;
  secondaryStore: string;
  /** Key text (as the ledger and reports hold it) → the differences recorded for it. */
  keys: Map<string, RecordedDifference[]>;
  /** The run could not reconcile the entity; its findings are partial. */
  error?: string;
}

/** The findings a repair starts from: a reconcile report file or a run in reconcile_runs / reconcile_findings. */
export interface RepairInput {
  origin: { kind: 'file'; path: string } | { kind: 'run' };
  runId: string;
  startedAt: string;
  /** When the run finished: a ledger operation on a key after this moment means the key changed since. */
  finishedAt: string;
  entities: RecordedEntity[];
}

/**
 * What a repair does with a key:
 * - `copy`: the primary holds the row; the secondary is made to hold it (insert or update) through KeySync;
 * - `delete`: the primary lacks the row and the ledger proves a delete: KeySync deletes it on the secondary;
 * - `leave`: the primary lacks the row and nothing proves a delete: both rows stay (KeySync refuses), reported;
 * - `skip_changed`: the rows now differ from what the report recorded: never overwritten blindly;
 * - `skip_written`: the ledger shows a write on the key after the run finished, or one still unsettled;
 * - `nothing`: both stores are equal now.
 */
export type RepairActionKind = 'copy' | 'delete' | 'leave' | 'skip_changed' | 'skip_written' | 'nothing';

export type RepairOutcome = 'copied' | 'deleted' | 'left' | 'skipped' | 'nothing' | 'failed';

export interface PlannedKeyAction {
  entity: string;
  key: string;
  action: RepairActionKind;
  /** One line an operator reads: what changes where, or why nothing does. */
  detail: string;
  /** For leave and skip: why. */
  reason?: string;
}

export interface AppliedKeyAction extends PlannedKeyAction {
  outcome: RepairOutcome;
  /** The key still differs after the repair's re-check. */
  stillDiffers: boolean;
}

/** A key that still differs after the repair, and why. */
export interface KeyLeft {
  entity: string;
  key: string;
  reason: string;
}

export interface RepairPlan {
  reportRunId: string;
  primaryStore: string;
  secondaryStore: string;
  /** Warnings an operator should read before applying (roles changed since the run, entities the run failed on). */
  warnings: string[];
  actions: PlannedKeyAction[];
}

export interface RepairResult {
  repairId: string;
  reportRunId: string;
  primaryStore: string;
  secondaryStore: string;
  warnings: string[];
  actions: AppliedKeyAction[];
  /** Keys that still differ after the repair's re-check, each with its reason; empty when the repair left nothing. */
  left: KeyLeft[];
  counts: Record<RepairOutcome, number>;
  durationMs: number;
}

/** How far a plan or repair is: keys assessed (plan and apply), synced through KeySync, re-checked (apply). */
export interface RepairProgress {
  step: 'assess' | 'sync' | 'recheck';
  keysDone: number;
  keysTotal: number;
}
