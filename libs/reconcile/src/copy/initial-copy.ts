import type { Pool } from 'pg';
import { FlagRepository, type KeySync, type SyncReport } from '@dualwrite/dual-write';
import { EntityRegistry, type EntityDefinition } from '@dualwrite/stores';
import { keyFromText } from '../key-order';
import { planChunks, type PlannedChunk } from './chunk-plan';
import { CopySpeed } from './copy-speed';
import { ChunkConflictError, StreamedChunkCopier, type SqlSide, type StreamedChunk, type StreamedVia } from './copy-stream';
import { CopyRunRepository, type CopyRunRecord, type StoredChunk } from './copy-repository';
import { assertSourceIsPrimary } from './copy-roles';
import type { ChunkVia, CopyOptions, CopyProgress, CopyResult, CopySelection, CopySide, EntityCopyPlan, EntityCopyResult, LeftKeySummary } from './copy.types';
import { keysInWindow } from './key-lister';
import { parentsFirst } from './table-order';
import { PrimaryLatency, realSleep, type Sleep } from './throttle';

export interface InitialCopyDependencies {
  entities: EntityDefinition[];
  source: CopySide;
  target: CopySide;
  /**
   * Which store the source is. A copy goes only from the primary the flags name (CopySourceNotPrimaryError before
   * anything is written), and every batch and streamed chunk is fenced against a flip of the primary (PROTOCOL.md,
   * mechanism 3): the flip waits for it, and one that starts after the flip is refused (RolesMovedError).
   */
  sourceSide: 'a' | 'b';
  /** The control database: runs and chunks, the copy locks, the ledger (KeySync's locks are there too). */
  control: Pool;
  /** The protocol's order-proof sync (PROTOCOL.md, mechanism 1), on the same control database. */
  keySync: KeySync;
  /**
   * Both stores' PostgreSQL (store A's database URL, store B's SUPABASE_DB_URL): chunks then stream as COPY between
   * them (StreamedChunkCopier) instead of going through KeySync row batch by row batch. Absent: KeySync only.
   * `onFirstRows`: see ChunkPacing.onFirstRows (specs interleave live writes there).
   */
  stream?: { source: SqlSide; target: SqlSide; onFirstRows?: (chunk: { entity: string; chunkNo: number; via: StreamedVia }) => Promise<void> };
  now?: () => number;
  sleep?: Sleep;
}

/** The copy was stopped (its signal); the run stays unfinished and the next copy resumes it. */
export class CopyStoppedError extends Error {
  constructor(readonly entity: string, readonly runId: string, readonly chunksDone: number) {
    super(`copy of ${entity} stopped with ${chunksDone} chunks done; run ${runId} resumes at the first unfinished chunk`);
    this.name = 'CopyStoppedError';
  }
}

const DEFAULT_CHUNK_SIZE = 1000;
/** A streamed chunk holds no per-key lock, so it can be larger; it is still one target transaction. */
const DEFAULT_STREAM_CHUNK_SIZE = 20_000;
/** Keys per KeySync batch (one transaction's advisory locks) whatever the chunk size. */
const MAX_SYNC_BATCH = 1000;
/**
 * The streamed path's re-check also covers writes claimed up to this long before the run began: such a write may
 * land on the source after a chunk's snapshot (its claim precedes its primary write by at most the store's
 * statement timeout, 10 s by default). KeySync needs no look-back: it reads current rows under the keys' locks.
 */
const STREAM_RECHECK_LOOKBACK_MS = 10 * 60_000;

/** Work done on one batch of keys, as KeySync reported it. */
interface BatchOutcome {
  rowsCopied: number;
  rowsDeleted: number;
  left: LeftKeySummary[];
}

/**
 * The initial copy: every row of the source into the target, chunk by chunk in the source's key order, each chunk's
 * completion recorded so a stopped or killed copy resumes at its first unfinished chunk. Under live dual writes
 * nothing is overwritten with an older row and nothing deleted is brought back. Through KeySync (the default):
 * each batch is synced under the keys' locks, reading the source's current rows, and a row the source lacks is
 * deleted on the target only with the ledger's proof. Streamed (`stream`, both stores in SQL): each chunk is a
 * COPY of the source's snapshot that only ever inserts keys the target lacks (StreamedChunkCopier). Either way,
 * keys written while the copy ran are synced again through KeySync at the end; for the streamed path that is what
 * removes a row deleted after its chunk's snapshot.
 */
export class InitialCopy {
  private readonly registry: EntityRegistry;
  private readonly runs: CopyRunRepository;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly streamer: StreamedChunkCopier | null;
  private readonly flags: FlagRepository;

  constructor(private readonly deps: InitialCopyDependencies) {
    this.registry = new EntityRegistry(deps.entities);
    this.streamer = deps.stream ? new StreamedChunkCopier(deps.stream.source, deps.stream.target) : null;
    this.runs = new CopyRunRepository(deps.control);
    this.flags = new FlagRepository(deps.control);
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? realSleep;
  }

  /** The entities asked for, parents before children; an unknown name is refused, listing the known ones. */
  async selectEntities(selection: CopySelection): Promise<EntityDefinition[]> {
    const chosen = selection === 'all' ? this.registry.all() : selection.map((name) => this.registry.get(name));
    const edges = this.deps.source.foreignKeys ? await this.deps.source.foreignKeys() : [];
    return parentsFirst(chosen, edges);
  }

  /** What a copy would do, writing nothing: per entity the chunks it would sync and their planned rows. */
  async dryRun(selection: CopySelection, options: Pick<CopyOptions, 'chunkSize'> = {}): Promise<EntityCopyPlan[]> {
    const chunkSize = options.chunkSize ?? this.defaultChunkSize();
    const plans: EntityCopyPlan[] = [];
    for (const entity of await this.selectEntities(selection)) {
      const run = await this.runs.unfinished(entity.name, this.deps.source.store.name, this.deps.target.store.name);
      const chunks: PlannedChunk[] = run
        ? (await this.runs.chunks(run.runId)).filter((chunk) => !chunk.done).map(({ done: _done, ...chunk }) => chunk)
        : planChunks(await this.deps.source.keys.plan(entity, chunkSize), chunkSize);
      plans.push({ entity: entity.name, resumesRun: run?.runId ?? null, chunks, rows: chunks.reduce((sum, chunk) => sum + chunk.rows, 0) });
    }
    return plans;
  }

  /**
   * Copies the entities, parents first. Every entity's copy lock is taken before anything is written, so a copy of
   * one already running is refused (CopyAlreadyRunningError, naming the run) with nothing done.
   */
  async copy(selection: CopySelection, options: CopyOptions = {}): Promise<CopyResult> {
    const started = this.now();
    const entities = await this.selectEntities(selection);
    await assertSourceIsPrimary(this.deps.control, this.deps.sourceSide, this.deps.source.store.name);
    const locks = await this.runs.lockEntities(entities.map((entity) => entity.name));
    try {
      const results: EntityCopyResult[] = [];
      for (const entity of entities) results.push(await this.copyEntity(entity, options));
      return { entities: results, durationMs: this.now() - started };
    } finally {
      await locks.release();
    }
  }

  private async copyEntity(entity: EntityDefinition, options: CopyOptions): Promise<EntityCopyResult> {
    const started = this.now();
    const { source, target } = this.deps;
    const chunkSize = options.chunkSize ?? this.defaultChunkSize();
    const emit = (event: CopyProgress) => options.onProgress?.(event);
    const unfinished = await this.runs.unfinished(entity.name, source.store.name, target.store.name);
    let run: CopyRunRecord;
    if (unfinished) {
      await this.runs.resume(unfinished.runId);
      run = unfinished;
    } else {
      run = await this.runs.create(entity.name, source.store.name, target.store.name, chunkSize, planChunks(await source.keys.plan(entity, chunkSize), chunkSize));
    }
    const chunks = await this.runs.chunks(run.runId);
    const skipped = chunks.filter((chunk) => chunk.done).length;
    emit({ kind: 'entity-start', entity: entity.name, runId: run.runId, resumed: unfinished !== null, chunks: chunks.length, chunksDone: skipped, rowsPlanned: run.rowsPlanned });

    const speed = new CopySpeed(new PrimaryLatency(this.deps.control, source.store.name), options, this.now, this.sleep, (change) =>
      emit({ kind: 'speed', entity: entity.name, ...change }),
    );
    const result: EntityCopyResult = {
      entity: entity.name,
      runId: run.runId,
      sourceStore: source.store.name,
      targetStore: target.store.name,
      resumed: unfinished !== null,
      chunks: chunks.length,
      chunksSkipped: skipped,
      chunksCopied: 0,
      rowsCopied: 0,
      rowsDeleted: 0,
      keysLeft: [],
      keysRechecked: 0,
      chunksVia: { copy: 0, merge: 0, keySync: 0 },
      durationMs: 0,
    };
    // Streamed chunks can be larger than a KeySync transaction may lock at once.
    const batch = this.streamer ? Math.min(chunkSize, MAX_SYNC_BATCH) : chunkSize;
    try {
      await speed.start(run.startedAt);
      for (const chunk of chunks.filter((stored) => !stored.done)) {
        const chunksDone = skipped + result.chunksCopied;
        const outcome = this.streamer
          ? await this.streamChunk(this.streamer, entity, run, chunk, batch, speed, options.signal, chunksDone)
          : { ...(await this.copyChunk(entity, run, chunk, batch, speed, options.signal, chunksDone)), via: 'key-sync' as const };
        await this.runs.chunkDone(run.runId, chunk.chunkNo, { rowsCopied: outcome.rowsCopied, rowsDeleted: outcome.rowsDeleted, keysLeft: outcome.left.length });
        this.add(result, outcome);
        result.chunksCopied += 1;
        result.chunksVia[outcome.via === 'key-sync' ? 'keySync' : outcome.via] += 1;
        emit({ kind: 'chunk', entity: entity.name, chunkNo: chunk.chunkNo, chunks: chunks.length, chunksDone: chunksDone + 1, rowsCopied: outcome.rowsCopied, via: outcome.via });
      }
      const since = this.streamer ? new Date(run.startedAt.getTime() - STREAM_RECHECK_LOOKBACK_MS) : run.startedAt;
      const written = await this.runs.keysWrittenSince(entity.name, since);
      emit({ kind: 'recheck', entity: entity.name, keys: written.length });
      const leftBefore = result.keysLeft.length;
      for (let index = 0; index < written.length; index += batch) {
        this.add(result, await this.syncBatch(entity, written.slice(index, index + batch), speed));
      }
      result.keysRechecked = written.length;
      await this.runs.complete(run.runId, written.length, result.keysLeft.length - leftBefore);
    } catch (error) {
      if (!(error instanceof CopyStoppedError)) await this.runs.fail(run.runId, error instanceof Error ? error.message : String(error)).catch(() => undefined);
      throw error;
    }
    result.durationMs = this.now() - started;
    emit({ kind: 'entity-done', result });
    return result;
  }

  /**
   * One chunk as a COPY stream (StreamedChunkCopier), paced row by row by the copy's speed. Rows only the target
   * holds in the window are synced as the KeySync path syncs them (deleted with the ledger's proof, else reported
   * as left). A chunk the target refuses as the snapshot had it (live writes changed a key or a parent meanwhile)
   * goes through KeySync instead, which copies the source's current rows.
   */
  private async streamChunk(
    streamer: StreamedChunkCopier,
    entity: EntityDefinition,
    run: CopyRunRecord,
    chunk: StoredChunk,
    batch: number,
    speed: CopySpeed,
    signal: AbortSignal | undefined,
    chunksDone: number,
  ): Promise<BatchOutcome & { via: ChunkVia }> {
    if (signal?.aborted) throw new CopyStoppedError(entity.name, run.runId, chunksDone);
    const began = this.now();
    let streamed: StreamedChunk;
    try {
      const onFirstRows = this.deps.stream?.onFirstRows;
      streamed = await this.flags.withPrimaryHeld(this.deps.sourceSide, () =>
        streamer.copy(
          entity,
          { after: chunk.afterKey ?? undefined, upTo: chunk.upToKey ?? undefined },
          { pace: (rows) => speed.beforeBatch(rows), onFirstRows: onFirstRows && ((via) => onFirstRows({ entity: entity.name, chunkNo: chunk.chunkNo, via })) },
        ),
      );
    } catch (error) {
      if (!(error instanceof ChunkConflictError)) throw error;
      return { ...(await this.copyChunk(entity, run, chunk, batch, speed, signal, chunksDone)), via: 'key-sync' };
    }
    await speed.afterBatch(this.now() - began);
    const outcome: BatchOutcome & { via: ChunkVia } = { rowsCopied: streamed.rowsCopied, rowsDeleted: 0, left: [], via: streamed.via };
    for (let index = 0; index < streamed.targetOnly.length; index += batch) {
      const synced = await this.syncBatch(entity, streamed.targetOnly.slice(index, index + batch), speed);
      outcome.rowsCopied += synced.rowsCopied;
      outcome.rowsDeleted += synced.rowsDeleted;
      outcome.left.push(...synced.left);
    }
    return outcome;
  }

  /**
   * One chunk, in batches of up to `chunkSize` source keys: each batch with the target's keys in the same key
   * window (a row only the target holds is synced too: deleted with the ledger's proof, else reported as left).
   */
  private async copyChunk(
    entity: EntityDefinition,
    run: CopyRunRecord,
    chunk: StoredChunk,
    chunkSize: number,
    speed: CopySpeed,
    signal: AbortSignal | undefined,
    chunksDone: number,
  ): Promise<BatchOutcome> {
    const total: BatchOutcome = { rowsCopied: 0, rowsDeleted: 0, left: [] };
    let after = chunk.afterKey ?? undefined;
    for (;;) {
      if (signal?.aborted) throw new CopyStoppedError(entity.name, run.runId, chunksDone);
      const sourceKeys = await this.deps.source.keys.keys(entity, { after, upTo: chunk.upToKey ?? undefined }, chunkSize);
      const full = sourceKeys.length === chunkSize;
      const upTo = full ? sourceKeys[sourceKeys.length - 1] : (chunk.upToKey ?? undefined);
      const known = new Set(sourceKeys);
      const targetOnly = (await keysInWindow(this.deps.target.keys, entity, { after, upTo }, chunkSize)).filter((key) => !known.has(key));
      // Never more than chunkSize keys under one transaction's locks, however many only the target holds.
      const keys = [...sourceKeys, ...targetOnly];
      for (let index = 0; index < keys.length; index += chunkSize) {
        const outcome = await this.syncBatch(entity, keys.slice(index, index + chunkSize), speed);
        total.rowsCopied += outcome.rowsCopied;
        total.rowsDeleted += outcome.rowsDeleted;
        total.left.push(...outcome.left);
      }
      if (!full) return total;
      after = upTo;
    }
  }

  private async syncBatch(entity: EntityDefinition, keys: string[], speed: CopySpeed): Promise<BatchOutcome> {
    if (keys.length === 0) return { rowsCopied: 0, rowsDeleted: 0, left: [] };
    await speed.beforeBatch(keys.length);
    const began = this.now();
    const report: SyncReport = await this.deps.keySync.sync(
      entity,
      keys.map((key) => keyFromText(entity, key)),
      this.deps.source.store,
      this.deps.target.store,
      [],
      { flagsPrimary: this.deps.sourceSide },
    );
    await speed.afterBatch(this.now() - began);
    return {
      rowsCopied: report.copied.length,
      rowsDeleted: report.deleted.length,
      left: report.left.map((left) => ({ key: String(left.key), reason: left.reason })),
    };
  }

  private defaultChunkSize(): number {
    return this.streamer ? DEFAULT_STREAM_CHUNK_SIZE : DEFAULT_CHUNK_SIZE;
  }

  private add(result: EntityCopyResult, outcome: BatchOutcome): void {
    result.rowsCopied += outcome.rowsCopied;
    result.rowsDeleted += outcome.rowsDeleted;
    result.keysLeft.push(...outcome.left);
  }
}
