import type { DualWriteMode, DualWriteModeName } from '../flags/dual-write-mode';
import type { PublishedBreakerState } from './breaker-state-board';

/** The rules the worker evaluates every minute; the first two make the guard roll back. */
export type AlertRule =
  | 'secondary-error-rate'
  | 'primary-latency-regression'
  | 'unresolved-error-diffs'
  | 'breaker-open'
  | 'both-stores-down'
  | 'partial-failure-rate';

/** Rules the auto-rollback guard acts on. */
export const ROLLBACK_RULES: readonly AlertRule[] = ['secondary-error-rate', 'primary-latency-regression'];

export interface AlertThresholds {
  /** Share of recent dual writes whose secondary failed, timed out or was skipped. Default 0.05 (5 %). */
  secondaryErrorRate: number;
  /** Share of recent dual writes where exactly one store failed. Default 0.10 (10 %). */
  partialFailureRate: number;
  /** Fewest recent dual writes before a rate is judged. Default 20. */
  minOpsForRates: number;
  /** p95 of the primary path in this phase over the previous phase's, minus 1. Default 0.20 (20 %). */
  latencyIncrease: number;
  /**
   * Fewest writes on each side of the phase change, overall and in each kind of write compared, before p95s are
   * compared. Default 100.
   */
  minLatencySamples: number;
  /** Shortest time those writes must span on each side (a burst is no phase's latency). Default 60 000 ms. */
  minLatencySpanMs: number;
  /** More unresolved error diffs than this alert. Default 10. */
  unresolvedErrorDiffs: number;
  /** A breaker not closed for longer than this alerts. Default 300 000 ms (5 min). */
  breakerOpenMs: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  secondaryErrorRate: 0.05,
  partialFailureRate: 0.1,
  minOpsForRates: 20,
  latencyIncrease: 0.2,
  minLatencySamples: 100,
  minLatencySpanMs: 60_000,
  unresolvedErrorDiffs: 10,
  breakerOpenMs: 300_000,
};

/** The primary path's latency over some writes: what callers waited, and over how many writes and how long. */
export interface LatencyFigures {
  /** 95th percentile, ms; null without samples. */
  p95Ms: number | null;
  samples: number;
  /** From the first of those writes to the last, ms. */
  spanMs: number;
}

/** One kind of write (an entity and an operation): the unit latencies are compared in, like with like. */
export interface LatencyGroup extends LatencyFigures {
  entity: string;
  operation: string;
}

export interface LatencySample extends LatencyFigures {
  mode: DualWriteModeName;
  /** The same writes by kind. */
  groups: LatencyGroup[];
}

/** Everything the rules look at, read at one moment (see AlertSnapshotReader). */
export interface AlertSnapshot {
  at: Date;
  mode: DualWriteMode;
  /** The flags' version when read; the guard's change applies only if nobody changed them since. */
  flagsVersion: number;
  /** The latest change of mode: when, and the mode it left. Null when the flags never changed mode. */
  lastModeChange: { at: Date; from: DualWriteMode } | null;
  /** The latest change that moved forward into a later phase: the guard rolls back to where it started. */
  lastAdvance: { at: Date; from: DualWriteMode } | null;
  /** Writes in the current mode within the window (and since the mode changed) that had a secondary. */
  recentDualWrites: { since: Date; total: number; secondaryErrors: number; partialFailures: number };
  /** The primary path's p95 in this phase vs the previous one; previous is null without a mode change. */
  latency: { current: LatencySample; previous: LatencySample | null };
  unresolvedErrorDiffs: number;
  /** Breaker states published by every live process. */
  breakers: PublishedBreakerState[];
}

export type AlertSeverity = 'warning' | 'critical';

export interface Alert {
  rule: AlertRule;
  /** Deduplication key: the rule, plus the store for per-store rules. */
  key: string;
  severity: AlertSeverity;
  /** One line an operator reads, with the figures. */
  summary: string;
  figures: Record<string, number | string>;
  mode: DualWriteModeName;
  /** The guard flips the flags back on this alert. */
  rollsBack: boolean;
}
