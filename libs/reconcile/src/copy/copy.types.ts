import type { EntityDefinition, StorePlugin } from '@dualwrite/stores';
import type { PlannedChunk } from './chunk-plan';
import type { SpeedChange, SpeedSettings } from './copy-speed';
import type { KeyLister } from './key-lister';
import type { ForeignKeyEdge } from './table-order';

/** One store as the copy uses it: the plugin (read and written through KeySync) and its keys in copy order. */
export interface CopySide {
  store: StorePlugin;
  keys: KeyLister;
  /** The foreign keys among its tables, for the parent-first order; absent: the entities' given order. */
  foreignKeys?: () => Promise<ForeignKeyEdge[]>;
}

export interface CopyOptions extends SpeedSettings {
  /** Keys per chunk (default 1000): a chunk is synced and recorded as a unit. */
  chunkSize?: number;
  /** Stops before the next batch (as a kill would, the run stays resumable). */
  signal?: AbortSignal;
  onProgress?: (event: CopyProgress) => void;
}

/** How a chunk reached the target: COPY into the table, COPY into staging then a merge, or KeySync batches. */
export type ChunkVia = 'copy' | 'merge' | 'key-sync';

export type CopyProgress =
  | { kind: 'entity-start'; entity: string; runId: string; resumed: boolean; chunks: number; chunksDone: number; rowsPlanned: number }
  | { kind: 'chunk'; entity: string; chunkNo: number; chunks: number; chunksDone: number; rowsCopied: number; via: ChunkVia }
  | ({ kind: 'speed'; entity: string } & SpeedChange)
  | { kind: 'recheck'; entity: string; keys: number }
  | { kind: 'entity-done'; result: EntityCopyResult };

/** A key the copy left as it was, and why (KeySync's report: no source row and no delete proven). */
export interface LeftKeySummary {
  key: string;
  reason: string;
}

export interface EntityCopyResult {
  entity: string;
  runId: string;
  sourceStore: string;
  targetStore: string;
  /** True when this call took over an unfinished run. */
  resumed: boolean;
  chunks: number;
  /** Chunks already done before this call (a resumed run skips them). */
  chunksSkipped: number;
  chunksCopied: number;
  rowsCopied: number;
  rowsDeleted: number;
  keysLeft: LeftKeySummary[];
  /** Keys the ledger shows written since the run began, synced again at the end. */
  keysRechecked: number;
  /** The chunks this call copied, by how they reached the target. */
  chunksVia: { copy: number; merge: number; keySync: number };
  durationMs: number;
}

export interface CopyResult {
  entities: EntityCopyResult[];
  durationMs: number;
}

export interface EntityCopyPlan {
  entity: string;
  /** The unfinished run a copy would resume, or null for a new run. */
  resumesRun: string | null;
  /** The chunks a copy would sync (a resumed run's unfinished ones only). */
  chunks: PlannedChunk[];
  rows: number;
}

export type CopySelection = 'all' | string[];

export type { EntityDefinition };
