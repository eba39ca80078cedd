import type { KeyPlan } from './key-lister';

/** A chunk of the copy: the source's keys in (afterKey, upToKey]; null bounds are open. */
export interface PlannedChunk {
  chunkNo: number;
  afterKey: string | null;
  upToKey: string | null;
  /** Rows the source held in the chunk when it was planned. */
  rows: number;
}

/**
 * Cuts the key order at every `chunkSize`-th key: chunk 1 is (start, b1], chunk i is (b(i-1), bi], and the last
 * chunk is (bm, open), so keys written above the last boundary while the copy runs are still in a chunk. A table
 * with no row has one empty, open chunk.
 */
export function planChunks(plan: KeyPlan, chunkSize: number): PlannedChunk[] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunk size must be a positive integer, got ${chunkSize}`);
  if (plan.boundaries.length !== Math.floor(plan.rows / chunkSize)) {
    throw new Error(`a plan of ${plan.rows} rows has ${Math.floor(plan.rows / chunkSize)} boundaries at ${chunkSize} rows, not ${plan.boundaries.length}`);
  }
  const chunks: PlannedChunk[] = plan.boundaries.map((upToKey, index) => ({
    chunkNo: index + 1,
    afterKey: index === 0 ? null : (plan.boundaries[index - 1] as string),
    upToKey,
    rows: chunkSize,
  }));
  const rest = plan.rows - chunks.length * chunkSize;
  // A table whose rows fill the chunks exactly gets no empty tail: its last chunk is opened instead.
  if (rest === 0 && chunks.length > 0) {
    const last = chunks[chunks.length - 1] as PlannedChunk;
    chunks[chunks.length - 1] = { ...last, upToKey: null };
    return chunks;
  }
  chunks.push({ chunkNo: chunks.length + 1, afterKey: plan.boundaries[plan.boundaries.length - 1] ?? null, upToKey: null, rows: rest });
  return chunks;
}
