import type { Pool } from 'pg';
import type { EntityDefinition } from '@dualwrite/stores';
import type { BackupIndex } from './backup-index';
import type { BackupStoreId } from './backup-manifest';
import type { BackupStorage } from './backup-storage';

/** Where a store's tables are: its PostgreSQL connection (store B: SUPABASE_DB_URL) and schema. */
export interface BackupSource {
  databaseUrl: string;
  /** 'public' when omitted. */
  schema?: string;
}

/** What every backup operation works with; built once by BackupService. */
export interface BackupContext {
  storage: BackupStorage;
  index: BackupIndex;
  /** The control database: the backups index and the operation ledger (tombstones). */
  control: Pool;
  /** Registered entities, parents first (the order to load in). */
  entities: EntityDefinition[];
  sources: Partial<Record<BackupStoreId, BackupSource>>;
  /** An incremental re-reads rows this much older than its parent's snapshot (clock skew, late commits). */
  overlapMs: number;
}

/** How far an operation is: `percent` 0..100 over the rows it expects, and what it is doing. */
export interface BackupProgress {
  phase: string;
  table?: string;
  rowsDone: number;
  rowsExpected: number;
  percent: number;
}

export type ProgressListener = (progress: BackupProgress) => void;

/** Calls the listener at most every `everyMs` (and always on a new phase). */
export function throttledProgress(listener: ProgressListener | undefined, everyMs = 250): (progress: BackupProgress) => void {
  let last = 0;
  let lastPhase = '';
  return (progress) => {
    if (!listener) return;
    const now = Date.now();
    const key = `${progress.phase}:${progress.table ?? ''}`;
    if (key === lastPhase && now - last < everyMs && progress.percent < 100) return;
    last = now;
    lastPhase = key;
    listener(progress);
  };
}

export function percentOf(done: number, expected: number): number {
  if (expected <= 0) return 0;
  return Math.min(99, Math.floor((done / expected) * 100));
}
