import type { StoreBreakersOptions } from '../breakers/store-breakers';
import type { DiffPolicyOptions } from '../compare/diff-policy';
import type { DiffSeverityRules } from '../compare/diff-severity';
import type { EntityDefinition } from '@dualwrite/stores';
import type { StorePlugin } from '@dualwrite/stores';

/** What a host passes to `DualWriteModule.forRoot(...)` / `forRootAsync(...)`. */
export interface DualWriteModuleOptions {
  /** Store A (the store being left) and store B (the store being moved to; null = degraded, A only). */
  stores: { a: StorePlugin; b: StorePlugin | null };
  entities: EntityDefinition[];
  /** Database holding the flags, the ledger and the diffs (usually store A's, PRIMARY_DATABASE_URL). */
  controlDatabaseUrl: string;
  redisUrl: string;
  /** FLAG_CACHE_TTL_MS; default 5000. */
  flagCacheTtlMs?: number;
  /**
   * Longest a caller waits for the secondary's write; default 0: answer with the primary's, and the secondary's
   * settles in the background (applied in the ledger, or queued for replay).
   */
  secondaryTimeoutMs?: number;
  /** Share of reads shadowed on the secondary in dual modes; default 1. */
  shadowReadRate?: number;
  readFallbackToSecondary?: boolean;
  /** Concurrent creates of one entity go to each store as one multi-row insert (group commit); default true. */
  batchInserts?: boolean;
  diffPolicy?: DiffPolicyOptions;
  severityRules?: DiffSeverityRules;
  breakers?: StoreBreakersOptions;
  /** Replay attempts before an operation is dead-lettered; default 8. */
  replayAttempts?: number;
  /** Close the stores when the module is destroyed (the module owns them). Default true. */
  closeStores?: boolean;
}
