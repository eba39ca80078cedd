import type { Pool } from 'pg';
import { FlagRepository, type KeySync } from '@dualwrite/dual-write';
import type { EntityDefinition } from '@dualwrite/stores';
import { keyFromText } from '../key-order';
import { planChunks } from '../copy/chunk-plan';
import { ChunkConflictError, StreamedChunkCopier, type SqlSide } from '../copy/copy-stream';
import { CopyRunRepository } from '../copy/copy-repository';
import { assertSourceIsPrimary } from '../copy/copy-roles';
import { keysInWindow } from '../copy/key-lister';
import type { CopySide, LeftKeySummary } from '../copy/copy.types';
import type { PlannedSegment, SegmentRange } from './run.types';

export const DEFAULT_CHUNK_ROWS = 1000;
/** A streamed chunk holds no per-key lock (copy-data's default for it too); KeySync batches stay at most 1000 keys. */
export const DEFAULT_STREAM_CHUNK_ROWS = 20_000;
const MAX_SYNC_BATCH = 1000;
/**
 * A streamed chunk copies the source's snapshot: writes claimed up to this long before the copy run began may land
 * after it, so the final re-check looks back this far (as copy-data's streamed path does).
 */
const STREAM_RECHECK_LOOKBACK_MS = 10 * 60_000;

/** copy-data's session advisory lock class (copy/copy-repository.ts): an in-process copy holds it exclusively. */
const COPY_LOCK_CLASS = 7_201_911;

/** The entity's copy lock could not be shared: an in-process copy-data of it runs (it holds the lock alone). */
export class CopyLockBusyError extends Error {
  constructor(readonly entity: string) {
    super(`a copy-data of ${entity} holds its copy lock: the chunk waits for it (retried)`);
    this.name = 'CopyLockBusyError';
  }
}

/**
 * Runs `work` holding the entity's copy lock shared (many chunk jobs at once), so a copy-data of the entity started
 * meanwhile is refused (CopyAlreadyRunningError, naming this run's copy run) instead of copying the same chunks.
 */
export async function withSharedCopyLock<T>(control: Pool, entity: string, work: () => Promise<T>): Promise<T> {
  const client = await control.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock_shared($1, hashtext($2)) as locked', [COPY_LOCK_CLASS, `copy:${entity}`]);
    if (rows[0]?.locked !== true) throw new CopyLockBusyError(entity);
    try {
      return await work();
    } finally {
      await client.query('select pg_advisory_unlock_shared($1, hashtext($2))', [COPY_LOCK_CLASS, `copy:${entity}`]);
    }
  } finally {
    client.release();
  }
}

/** What a copy chunk job records. */
export interface CopyChunkResult {
  rowsCopied: number;
  rowsDeleted: number;
  left: LeftKeySummary[];
  /** How the chunk went: COPY straight in, COPY then merge, or KeySync. */
  via?: 'copy' | 'merge' | 'key-sync';
}

/** What a copy entity job records once the keys written during the copy were synced again. */
export interface CopyEntityResult {
  copyRunId: string;
  sourceStore: string;
  targetStore: string;
  chunks: number;
  rowsCopied: number;
  rowsDeleted: number;
  keysLeft: LeftKeySummary[];
  keysRechecked: number;
}

export interface CopySteps {
  source: CopySide;
  target: CopySide;
  /** Which store the source is: each batch and streamed chunk is fenced against a flip (see InitialCopyDependencies). */
  sourceSide: 'a' | 'b';
  keySync: KeySync;
  control: Pool;
  /** Both stores' PostgreSQL: chunks stream as COPY between them (StreamedChunkCopier); absent: KeySync only. */
  stream?: { source: SqlSide; target: SqlSide };
}

/**
 * The entity's copy run in dual_write_copy_runs, as copy-data keeps it: an unfinished run of the same direction is
 * taken over (its finished chunks are not copied again, whoever copied them), otherwise a new run with its chunks.
 */
export async function planCopySegments(steps: CopySteps, entity: EntityDefinition, chunkRows: number): Promise<{ copyRunId: string; chunkSize: number; segments: PlannedSegment[] }> {
  await assertSourceIsPrimary(steps.control, steps.sourceSide, steps.source.store.name);
  const runs = new CopyRunRepository(steps.control);
  const { source, target } = steps;
  const unfinished = await runs.unfinished(entity.name, source.store.name, target.store.name);
  const run = unfinished ?? (await runs.create(entity.name, source.store.name, target.store.name, chunkRows, planChunks(await source.keys.plan(entity, chunkRows), chunkRows)));
  if (unfinished) await runs.resume(unfinished.runId);
  const chunks = await runs.chunks(run.runId);
  return {
    copyRunId: run.runId,
    chunkSize: run.chunkSize,
    segments: chunks.map((chunk) => ({ segmentNo: chunk.chunkNo, range: { afterKey: chunk.afterKey, upToKey: chunk.upToKey, chunkSize: run.chunkSize }, rowsPlanned: chunk.rows, done: chunk.done })),
  };
}

/**
 * One chunk, in batches of up to `chunkSize` source keys, each with the target's keys in the same key window (a row
 * only the target holds is synced too: deleted with the ledger's proof, else left), through KeySync. Running it twice
 * is harmless: KeySync makes the target match the source's current rows whatever it held.
 */
export async function copyChunk(steps: CopySteps, entity: EntityDefinition, range: SegmentRange): Promise<CopyChunkResult> {
  const chunkSize = Math.min(range.chunkSize ?? DEFAULT_CHUNK_ROWS, MAX_SYNC_BATCH);
  const total: CopyChunkResult = { rowsCopied: 0, rowsDeleted: 0, left: [], via: 'key-sync' };
  let after = range.afterKey ?? undefined;
  for (;;) {
    const sourceKeys = await steps.source.keys.keys(entity, { after, upTo: range.upToKey ?? undefined }, chunkSize);
    const full = sourceKeys.length === chunkSize;
    const upTo = full ? sourceKeys[sourceKeys.length - 1] : (range.upToKey ?? undefined);
    const known = new Set(sourceKeys);
    const targetOnly = (await keysInWindow(steps.target.keys, entity, { after, upTo }, chunkSize)).filter((key) => !known.has(key));
    const keys = [...sourceKeys, ...targetOnly];
    for (let index = 0; index < keys.length; index += chunkSize) add(total, await syncBatch(steps, entity, keys.slice(index, index + chunkSize)));
    if (!full) return total;
    after = upTo;
  }
}

/**
 * One chunk as copy-data's streamed path copies it: a COPY of the source's rows in the window into the target
 * (StreamedChunkCopier: straight in when the window is empty there, else merged inserting only keys the target lacks),
 * the keys only the target holds synced through KeySync; a chunk the target refuses as the snapshot had it (live
 * writes) goes through KeySync instead. A chunk killed mid-COPY is rolled back with its transaction.
 */
export async function streamChunk(steps: CopySteps, entity: EntityDefinition, range: SegmentRange): Promise<CopyChunkResult> {
  if (!steps.stream) return copyChunk(steps, entity, range);
  try {
    const { source, target } = steps.stream;
    const streamed = await new FlagRepository(steps.control).withPrimaryHeld(steps.sourceSide, () =>
      new StreamedChunkCopier(source, target).copy(entity, { after: range.afterKey ?? undefined, upTo: range.upToKey ?? undefined }, { pace: async () => undefined }),
    );
    const total: CopyChunkResult = { rowsCopied: streamed.rowsCopied, rowsDeleted: 0, left: [], via: streamed.via };
    for (let index = 0; index < streamed.targetOnly.length; index += MAX_SYNC_BATCH) add(total, await syncBatch(steps, entity, streamed.targetOnly.slice(index, index + MAX_SYNC_BATCH)));
    return total;
  } catch (error) {
    if (!(error instanceof ChunkConflictError)) throw error;
    return copyChunk(steps, entity, { ...range, chunkSize: Math.min(range.chunkSize ?? DEFAULT_CHUNK_ROWS, MAX_SYNC_BATCH) });
  }
}

/** Records the chunk in the copy run (once: a chunk already done is not counted again). */
export async function recordChunk(steps: CopySteps, copyRunId: string, chunkNo: number, result: CopyChunkResult): Promise<void> {
  await new CopyRunRepository(steps.control).chunkDone(copyRunId, chunkNo, { rowsCopied: result.rowsCopied, rowsDeleted: result.rowsDeleted, keysLeft: result.left.length });
}

/** The entity job: keys the ledger shows written since the copy run began are synced again, then the copy run completes. */
export async function finaliseCopyEntity(steps: CopySteps, entity: EntityDefinition, copyRunId: string, chunks: CopyChunkResult[]): Promise<CopyEntityResult> {
  const runs = new CopyRunRepository(steps.control);
  const { rows } = await steps.control.query<{ started_at: Date; status: string; chunk_size: number }>(
    'select started_at, status, chunk_size from dual_write_copy_runs where run_id = $1',
    [copyRunId],
  );
  const run = rows[0];
  if (!run) throw new Error(`copy run ${copyRunId} of ${entity.name} is gone from dual_write_copy_runs`);
  const total: CopyChunkResult = { rowsCopied: 0, rowsDeleted: 0, left: [] };
  for (const chunk of chunks) add(total, chunk);
  const since = steps.stream ? new Date(run.started_at.getTime() - STREAM_RECHECK_LOOKBACK_MS) : run.started_at;
  const written = await runs.keysWrittenSince(entity.name, since);
  const recheck: CopyChunkResult = { rowsCopied: 0, rowsDeleted: 0, left: [] };
  const batch = Math.min(run.chunk_size, MAX_SYNC_BATCH);
  for (let index = 0; index < written.length; index += batch) add(recheck, await syncBatch(steps, entity, written.slice(index, index + batch)));
  if (run.status === 'running') await runs.complete(copyRunId, written.length, recheck.left.length);
  add(total, recheck);
  return {
    copyRunId,
    sourceStore: steps.source.store.name,
    targetStore: steps.target.store.name,
    chunks: chunks.length,
    rowsCopied: total.rowsCopied,
    rowsDeleted: total.rowsDeleted,
    keysLeft: total.left,
    keysRechecked: written.length,
  };
}

async function syncBatch(steps: CopySteps, entity: EntityDefinition, keys: string[]): Promise<CopyChunkResult> {
  if (keys.length === 0) return { rowsCopied: 0, rowsDeleted: 0, left: [] };
  const report = await steps.keySync.sync(entity, keys.map((key) => keyFromText(entity, key)), steps.source.store, steps.target.store, [], { flagsPrimary: steps.sourceSide });
  return { rowsCopied: report.copied.length, rowsDeleted: report.deleted.length, left: report.left.map((left) => ({ key: String(left.key), reason: left.reason })) };
}

function add(total: CopyChunkResult, outcome: CopyChunkResult): void {
  total.rowsCopied += outcome.rowsCopied;
  total.rowsDeleted += outcome.rowsDeleted;
  total.left.push(...outcome.left);
}
