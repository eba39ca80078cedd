import type { EntityDefinition, KeyRange, RangeChecksum, RowKey } from '@dualwrite/stores';
import { mapLimit } from './map-limit';
import type { KeyBoundarySource, ReconcileSide, ReconcileWork } from './reconcile.types';
import { differingKeysOfRange } from './segment-rows';

export interface SegmentSearchOptions {
  splitFactor: number;
  rowCompareLimit: number;
  concurrency: number;
  batchSize: number;
  ignoreFields?: readonly string[];
}

export interface SegmentSearchResult {
  /** Row counts of the whole range on each side (from the first segment's checksums). */
  counts: { primary: number; secondary: number };
  /** Keys whose rows differ or are missing on a side, to be re-checked. */
  candidates: Map<string, RowKey>;
  work: ReconcileWork;
}

/** Splits [from, to) at ascending boundary keys: [from, b1), [b1, b2), …, [bn, to). */
export function splitRange(range: KeyRange, boundaries: readonly RowKey[]): KeyRange[] {
  const cuts = [range.from, ...boundaries, range.to];
  const parts: KeyRange[] = [];
  for (let index = 0; index + 1 < cuts.length; index += 1) {
    const part: KeyRange = {};
    if (cuts[index] !== undefined) part.from = cuts[index];
    if (cuts[index + 1] !== undefined) part.to = cuts[index + 1];
    parts.push(part);
  }
  return parts;
}

/** What to do with a segment once both checksums are in: a pure decision, tested on its own. */
export function segmentVerdict(
  primary: RangeChecksum,
  secondary: RangeChecksum,
  rowCompareLimit: number,
): 'equal' | 'compare_rows' | 'split' {
  if (primary.count === secondary.count && primary.checksum === secondary.checksum) return 'equal';
  return Math.max(primary.count, secondary.count) <= rowCompareLimit ? 'compare_rows' : 'split';
}

/**
 * Finds the keys that differ between two stores without reading equal data: checksums of a key range on both
 * stores at once (computed inside each database where the store can), equal → done; different → split at
 * keys that cut it into `splitFactor` parts of about equal row counts and check each part, level by level;
 * a part small enough (or that cannot be split) is compared row by row in key order.
 */
export class SegmentSearch {
  private readonly work: ReconcileWork = {
    segmentsVisited: 0,
    segmentsMismatched: 0,
    segmentsComparedRowByRow: 0,
    rowsCompared: 0,
    keysRechecked: 0,
  };
  private readonly candidates = new Map<string, RowKey>();

  constructor(
    private readonly entity: EntityDefinition,
    private readonly primary: ReconcileSide & Partial<KeyBoundarySource>,
    private readonly secondary: ReconcileSide & Partial<KeyBoundarySource>,
    private readonly options: SegmentSearchOptions,
  ) {}

  async run(range: KeyRange): Promise<SegmentSearchResult> {
    const [primary, secondary] = await this.checksums(range);
    const counts = { primary: primary.count, secondary: secondary.count };
    let level = await this.settle(range, primary, secondary);
    while (level.length > 0) {
      const next = await mapLimit(level, this.options.concurrency, async (segment) => {
        const [a, b] = await this.checksums(segment);
        return this.settle(segment, a, b);
      });
      level = next.flat();
    }
    return { counts, candidates: this.candidates, work: this.work };
  }

  private async checksums(range: KeyRange): Promise<[RangeChecksum, RangeChecksum]> {
    this.work.segmentsVisited += 1;
    return Promise.all([this.primary.checksum(this.entity, range), this.secondary.checksum(this.entity, range)]);
  }

  /** Decides a visited segment: nothing more, its rows compared now, or its parts to visit next. */
  private async settle(range: KeyRange, primary: RangeChecksum, secondary: RangeChecksum): Promise<KeyRange[]> {
    const verdict = segmentVerdict(primary, secondary, this.options.rowCompareLimit);
    if (verdict === 'equal') return [];
    this.work.segmentsMismatched += 1;
    if (verdict === 'split') {
      const parts = splitRange(range, await this.boundaries(range, primary.count >= secondary.count));
      if (parts.length > 1) return parts;
    }
    await this.compareRows(range);
    return [];
  }

  /** Boundaries from the side with more rows in the range, when it can name them; the other side's otherwise. */
  private async boundaries(range: KeyRange, primaryHasMore: boolean): Promise<RowKey[]> {
    const sides = primaryHasMore ? [this.primary, this.secondary] : [this.secondary, this.primary];
    for (const side of sides) {
      if (side.boundaries) return side.boundaries(this.entity, range, this.options.splitFactor);
    }
    return [];
  }

  private async compareRows(range: KeyRange): Promise<void> {
    this.work.segmentsComparedRowByRow += 1;
    const { keys, rowsRead } = await differingKeysOfRange(this.entity, this.primary, this.secondary, range, {
      batchSize: this.options.batchSize,
      ignoreFields: this.options.ignoreFields,
    });
    this.work.rowsCompared += rowsRead;
    for (const [text, key] of keys) this.candidates.set(text, key);
  }
}
