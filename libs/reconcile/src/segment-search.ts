import type { EntityDefinition, KeyRange, RangeChecksum, RowKey } from '@dualwrite/stores';
import { mapLimit } from './map-limit';
import type { KeyBoundarySource, ReconcileSide, ReconcileWork, SegmentChecksumSource } from './reconcile.types';
import { differingKeysOfRange } from './segment-rows';

export interface SegmentSearchOptions {
  splitFactor: number;
  maxSplitParts: number;
  rowCompareLimit: number;
  concurrency: number;
  batchSize: number;
  ignoreFields?: readonly string[];
}

export interface SegmentSearchResult {
  /** Row counts of the whole range on each side (from the first checksums). */
  counts: { primary: number; secondary: number };
  /** Keys whose rows differ or are missing on a side, to be re-checked. */
  candidates: Map<string, RowKey>;
  work: ReconcileWork;
}

type SearchSide = ReconcileSide & Partial<KeyBoundarySource> & Partial<SegmentChecksumSource>;

/** A key range with both sides' checksums of it. */
interface Segment {
  range: KeyRange;
  primary: RangeChecksum;
  secondary: RangeChecksum;
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
 * How many parts a mismatched segment of `rows` rows is split into: with grouped checksums, parts of about half
 * `rowCompareLimit` rows (2 to `maxSplitParts`), so one split reaches parts compared row by row even where the other
 * side holds a few rows more; otherwise `splitFactor`.
 */
export function splitParts(rows: number, options: Pick<SegmentSearchOptions, 'splitFactor' | 'maxSplitParts' | 'rowCompareLimit'>, grouped: boolean): number {
  if (!grouped) return options.splitFactor;
  const rowsPerPart = Math.max(1, Math.floor(options.rowCompareLimit / 2));
  return Math.min(options.maxSplitParts, Math.max(2, Math.ceil(rows / rowsPerPart)));
}

/**
 * Finds the keys that differ between two stores without reading equal data: checksums of a key range on both
 * stores at once (computed inside each database where the store can), equal → done; different → split at
 * keys that cut it into `splitFactor` parts of about equal row counts, every part checksummed (in one grouped
 * query per side where the side can), level by level; a part small enough (or that cannot be split) is compared
 * row by row in key order.
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
    private readonly primary: SearchSide,
    private readonly secondary: SearchSide,
    private readonly options: SegmentSearchOptions,
  ) {}

  async run(range: KeyRange): Promise<SegmentSearchResult> {
    const { counts, level: first } = this.groupedChecksums ? await this.firstPartsGrouped(range) : await this.firstSegment(range);
    let level = first;
    while (level.length > 0) {
      level = (await mapLimit(level, this.options.concurrency, (segment) => this.settle(segment))).flat();
    }
    return { counts, candidates: this.candidates, work: this.work };
  }

  /** One checksum of the whole range on each side (the store plugins' digest). */
  private async firstSegment(range: KeyRange): Promise<{ counts: SegmentSearchResult['counts']; level: Segment[] }> {
    const [primary, secondary] = await Promise.all([this.primary.checksum(this.entity, range), this.secondary.checksum(this.entity, range)]);
    this.work.segmentsVisited += 1;
    return { counts: { primary: primary.count, secondary: secondary.count }, level: [{ range, primary, secondary }] };
  }

  /**
   * Both sides checksum parts in one grouped query: count both sides (cheap), then cut a range too big to compare
   * row by row into parts straight away; one grouped pass over the table on each side checks every part.
   */
  private async firstPartsGrouped(range: KeyRange): Promise<{ counts: SegmentSearchResult['counts']; level: Segment[] }> {
    const [primary, secondary] = await Promise.all([this.primary.count(this.entity, range), this.secondary.count(this.entity, range)]);
    const rows = Math.max(primary, secondary);
    const boundaries = rows > this.options.rowCompareLimit ? await this.boundaries(range, rows, primary >= secondary) : [];
    return { counts: { primary, secondary }, level: await this.parts(range, boundaries) };
  }

  /** Decides a segment: nothing more, its rows compared now, or its parts (with their checksums) to decide next. */
  private async settle(segment: Segment): Promise<Segment[]> {
    const { range, primary, secondary } = segment;
    const verdict = segmentVerdict(primary, secondary, this.options.rowCompareLimit);
    if (verdict === 'equal') return [];
    this.work.segmentsMismatched += 1;
    if (verdict === 'split') {
      const boundaries = await this.boundaries(range, primary.count >= secondary.count ? primary.count : secondary.count, primary.count >= secondary.count);
      if (boundaries.length > 0) return this.parts(range, boundaries);
    }
    await this.compareRows(range);
    return [];
  }

  private async parts(range: KeyRange, boundaries: readonly RowKey[]): Promise<Segment[]> {
    const ranges = splitRange(range, boundaries);
    const [primary, secondary] = await Promise.all([
      this.partChecksums(this.primary, range, boundaries, ranges),
      this.partChecksums(this.secondary, range, boundaries, ranges),
    ]);
    this.work.segmentsVisited += ranges.length;
    return ranges.map((part, index) => ({ range: part, primary: primary[index], secondary: secondary[index] }));
  }

  private partChecksums(side: SearchSide, range: KeyRange, boundaries: readonly RowKey[], ranges: KeyRange[]): Promise<RangeChecksum[]> {
    // Grouped digests are comparable only with each other: both sides grouped, or neither.
    if (this.groupedChecksums && side.segmentChecksums) return side.segmentChecksums(this.entity, range, boundaries);
    return mapLimit(ranges, this.options.concurrency, (part) => side.checksum(this.entity, part));
  }

  /** Boundaries from the side with more rows in the range, when it can name them; the other side's otherwise. */
  private async boundaries(range: KeyRange, rows: number, primaryHasMore: boolean): Promise<RowKey[]> {
    const parts = splitParts(rows, this.options, this.groupedChecksums);
    const sides: Array<[SearchSide, number | undefined]> = primaryHasMore
      ? [[this.primary, rows], [this.secondary, undefined]]
      : [[this.secondary, rows], [this.primary, undefined]];
    for (const [side, rowsInRange] of sides) {
      if (side.boundaries) return side.boundaries(this.entity, range, parts, rowsInRange);
    }
    return [];
  }

  /** Both sides checksum every part of a split in one query: a split may then make many parts at no extra cost. */
  private get groupedChecksums(): boolean {
    return this.primary.segmentChecksums !== undefined && this.secondary.segmentChecksums !== undefined;
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
