import type { EntityDefinition, StorePlugin } from '@dualwrite/stores';
import type { StoreBreakersOptions } from '../breakers/store-breakers';
import type { Pool } from 'pg';
import type { GateEvidenceSource } from '../flags/flag-switcher';

/** Store A (the store being left) and store B (the store being moved to; null = degraded, A only). */
export interface StorePair {
  a: StorePlugin;
  b: StorePlugin | null;
}

/**
 * What every process of the platform shares (the api's DualWriteModule and the worker alike): the stores and
 * entities, the control database, Redis, the queue names and the Redis key prefix. Processes build it from
 * the one settings schema (@dualwrite/config), so the api and the worker cannot disagree on a name.
 */
export interface DualWriteControlOptions {
  stores: StorePair;
  entities: EntityDefinition[];
  /** Database holding the flags, the ledger and the diffs (usually store A's, PRIMARY_DATABASE_URL). */
  controlDatabaseUrl: string;
  redisUrl: string;
  /** DW_REDIS_PREFIX: prefix of the platform's Redis keys and channels; default `dw`. */
  redisKeyPrefix?: string;
  /** DW_REPLAY_QUEUE, DW_DIFFS_QUEUE, DW_REPLAY_ATTEMPTS; defaults `dw-replay`, `dw-diffs`, 8. */
  queues?: { replay?: string; diffs?: string; replayAttempts?: number };
  /** FLAG_CACHE_TTL_MS; default 5000. */
  flagCacheTtlMs?: number;
  breakers?: StoreBreakersOptions;
  /** Most connections of the control database pool; default 10. */
  controlPoolSize?: number;
  /** What this process is, as it reports its flag version (`api`, `worker`); a flip waits for every live one. */
  processKind?: string;
  /** Longest a flip of the primary waits for old writes to settle and every process to confirm. Default 10 s. */
  flipSettleTimeoutMs?: number;
  /**
   * The phase gates (flags/phase-gates.ts): where the copy and reconcile records come from, given the control pool,
   * and the oldest a clean reconcile may be. Absent: the flags accept any transition.
   */
  phaseGates?: { evidence: (pool: Pool) => GateEvidenceSource; reconcileMaxAgeMs: number };
  /** Close the stores when the application stops (the module owns them). Default true. */
  closeStores?: boolean;
  /** Told what the platform could not do but went on without (a flag change not published, a diff not queued). */
  onWarning?: (message: string) => void;
}

/** The options with every default applied, as the control module's providers see them. */
export interface ControlSettings {
  replayQueue: string;
  diffsQueue: string;
  replayAttempts: number;
  redisKeyPrefix: string;
}

/** The configured stores by the names the ledger records. */
export function storesByName(stores: StorePair): Map<string, StorePlugin> {
  return new Map([stores.a, ...(stores.b ? [stores.b] : [])].map((store) => [store.name, store]));
}
