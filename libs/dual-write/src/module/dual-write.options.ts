import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { DiffPolicyOptions } from '../compare/diff-policy';
import type { DiffSeverityRules } from '../compare/diff-severity';
import type { DualWriteControlOptions } from '../control/dual-write-control.options';

/**
 * What a host passes to `DualWriteModule.forRoot(...)` / `forRootAsync(...)`: the control plane's options
 * (stores, entities, control database, Redis, queue names) and how the write engine behaves.
 */
export interface DualWriteModuleOptions extends DualWriteControlOptions {
  /**
   * Longest a caller waits for the secondary's write; default 0: answer with the primary's, and the secondary's
   * settles in the background (applied in the ledger, or queued for replay).
   */
  secondaryTimeoutMs?: number;
  /** Share of reads shadowed on the secondary in dual modes; default 1. */
  shadowReadRate?: number;
  readFallbackToSecondary?: boolean;
  /**
   * Group commit (default true): concurrent creates of one entity go to the primary as one multi-row insert, the
   * syncs of concurrent writes of one entity leave together, and concurrent writes are claimed, and record their
   * primary's outcome, in the ledger with one statement each.
   */
  batchInserts?: boolean;
  /**
   * With group commit: how long a secondary sync that could go at once waits for more writes' keys first (ms).
   * Fewer, larger syncs cost the secondary and the control database far less per write. Default:
   * `defaultSyncGatherMs` (60 when callers are answered before the secondary, else 0).
   */
  syncGatherMs?: number;
  diffPolicy?: DiffPolicyOptions;
  severityRules?: DiffSeverityRules;
}

export type DualWriteModuleAsyncOptions = ConfigurableModuleAsyncOptions<DualWriteModuleOptions> & { isGlobal?: boolean };
