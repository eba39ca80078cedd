import { z } from 'zod';

/** `all`, one entity name, or several. */
const entitySelection = z.union([z.literal('all'), z.string().min(1), z.array(z.string().min(1)).min(1)], {
  message: 'must be "all", an entity name or a list of entity names',
});
const positive = z.number().int('must be a whole number').min(1, 'must be at least 1');

export const reconcileStartBody = z.strictObject({
  entity: entitySelection,
  /** Rows per segment job (default 50,000). */
  segmentRows: positive.optional(),
  /** A mismatched segment part with at most this many rows on each side is compared row by row (default 20). */
  rowCompareLimit: positive.optional(),
  /** Segment checksums running at once inside a segment job (default 4). */
  concurrency: positive.optional(),
  batchSize: positive.optional(),
  /** Longest wait for the ledger's writes on a key to settle before it is re-checked (default 30,000). */
  settleTimeoutMs: z.number().int('must be a whole number').min(0, 'must be at least 0').optional(),
  ignoreFields: z.array(z.string().min(1)).optional(),
});

export const copyStartBody = z.strictObject({
  entity: entitySelection,
  /** The source store: a (default; before phase 3) or b (the reverse copy before 4 → 3). */
  from: z.enum(['a', 'b']).default('a'),
  /**
   * Keys per chunk job (default 20000 when the workers stream chunks as COPY, 1000 through KeySync, whose batches stay
   * at most 1000 keys either way); at most 100000 (one target transaction); a resumed copy keeps its own.
   */
  chunkSize: positive.max(100_000, 'must be at most 100000 (a streamed chunk is one target transaction)').optional(),
  /** Rows per second for the whole copy, whatever the number of workers; slowed further while the primary's write p95 is up. */
  rate: z.number({ message: 'must be a number of rows per second' }).int('must be a whole number of rows per second').min(1, 'must be at least 1 row per second').optional(),
});

export const runListQuery = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be between 1 and 200').max(200, 'must be between 1 and 200').default(20),
});

/** The entities as the coordinator takes them. */
export function selectionOf(entity: z.output<typeof entitySelection>): 'all' | string[] {
  return entity === 'all' ? 'all' : Array.isArray(entity) ? entity : [entity];
}
