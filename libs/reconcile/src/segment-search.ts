import type { EntityDefinition, KeyRange, RangeChecksum, RowKey } from '@dualwrite/stores';
import { compareKeys } from './key-order';
import { evenKeyBoundaries, evenKeyCuts, hasKeyArithmetic, unionSpan, type KeyCuts, type KeySpan } from './key-span';
import { mapLimit } from './map-limit';
import type { KeyBoundarySource, KeySpanSource, RangeRowsSource, ReconcileSide, ReconcileWork, RowDigestSource, SegmentChecksumSource } from './reconcile.types';
import { differingKeysOfRange, differingKeysOfRangeDigests, differingKeysOfRanges, type DifferingKeys } from './segment-rows';

export interface SegmentSearchOptions {
  splitFactor: number;
  maxSplitParts: number;
  rowCompareLimit: number;
  concurrency: number;
  batchSize: number;
}

export interface SegmentSearchResult {
  /** Row counts of the whole range on each side (from the first checksums). */
  counts: { primary: number; secondary: number };
  /** Keys whose rows differ or are missing on a side, to be re-checked. */
  candidates: Map<string, RowKey>;
  work: ReconcileWork;
}

type SearchSide = ReconcileSide &
  Partial<KeyBoundarySource> &
  Partial<SegmentChecksumSource> &
  Partial<KeySpanSource> &
  Partial<RangeRowsSource> &
  Partial<RowDigestSource>;

/** A key range with both sides' checksums of it. */
interface Segment {
  range: KeyRange;
  primary: RangeChecksum;
  secondary: RangeChecksum;
}

/** Splits [from, to) at ascending boundary keys: [from, b1), [b1, b2), …, [bn, to). */
export function splitRange(range: KeyRange, boundaries: KeyCuts): KeyRange[] {
  return Array.from({ length: boundaries.length + 1 }, (_, index) => partOf(range, boundaries, index));
}

/** Part `index` of splitRange(range, boundaries), without building the others. */
export function partOf(range: KeyRange, boundaries: KeyCuts, index: number): KeyRange {
  const from = index === 0 ? range.from : boundaries.at(index - 1);
  const to = index === boundaries.length ? range.to : boundaries.at(index);
  const part: KeyRange = {};
  if (from !== undefined) part.from = from;
  if (to !== undefined) part.to = to;
  return part;
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

/** Ranges whose rows one bulk read takes (both sides): bounds the rows held in memory at once. */
const RANGES_PER_READ = 256;

/**
 * Finds the keys that differ between two stores without reading equal data: checksums of a key range on both
 * stores at once (computed inside each database where the store can), equal → done; different → split at
 * keys that cut it into `splitFactor` parts of about equal row counts, every part checksummed (in one grouped
 * query per side where the side can), level by level; a part small enough (or that cannot be split) is compared
 * row by row in key order, the parts of a level together (one read per side for many parts where the sides can).
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
      const toCompare: KeyRange[] = [];
      const next = (await mapLimit(level, this.options.concurrency, (segment) => this.settle(segment, toCompare))).flat();
      await this.compareRows(toCompare);
      level = next;
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
   * Both sides checksum parts in one grouped query: size both sides (with their smallest and largest keys where the
   * sides can name them), then cut a range too big to compare row by row into parts straight away, at equal widths
   * of the key space when the keys have arithmetic (no query names the cuts), else at one side's keys; one grouped
   * pass over the table on each side checks every part, and its part counts are the counts reported.
   */
  private async firstPartsGrouped(range: KeyRange): Promise<{ counts: SegmentSearchResult['counts']; level: Segment[] }> {
    const [primary, secondary] = await Promise.all([this.span(this.primary, range), this.span(this.secondary, range)]);
    const rows = Math.max(primary.count, secondary.count);
    const { min, max } = unionSpan(this.entity, [primary, secondary]);
    let boundaries: KeyCuts = [];
    if (rows > this.options.rowCompareLimit) {
      const parts = splitParts(rows, this.options, true);
      boundaries =
        hasKeyArithmetic(this.entity) && min !== undefined && max !== undefined
          ? (evenKeyCuts(this.entity, min, max, parts) ?? evenKeyBoundaries(this.entity, min, max, parts))
          : await this.boundaries(range, rows, primary.count >= secondary.count);
    }
    const { segments, counts } = await this.parts(range, boundaries);
    return { counts, level: segments };
  }

  private span(side: SearchSide, range: KeyRange): Promise<KeySpan> {
    if (side.keySpan && hasKeyArithmetic(this.entity)) return side.keySpan(this.entity, range);
    return side.count(this.entity, range).then((count) => ({ count }));
  }

  /** Decides a segment: nothing more, its range to compare row by row (into `toCompare`), or its parts to decide next. */
  private async settle(segment: Segment, toCompare: KeyRange[]): Promise<Segment[]> {
    const { range, primary, secondary } = segment;
    const verdict = segmentVerdict(primary, secondary, this.options.rowCompareLimit);
    if (verdict === 'equal') return [];
    this.work.segmentsMismatched += 1;
    if (verdict === 'split') {
      const boundaries = await this.boundaries(range, primary.count >= secondary.count ? primary.count : secondary.count, primary.count >= secondary.count);
      if (boundaries.length > 0) return (await this.parts(range, boundaries)).segments;
    }
    toCompare.push(range);
    return [];
  }

  /**
   * The parts of `range` cut at `boundaries` that differ, with both sides' checksums, and the rows of all parts.
   * Every part is checked; only the ones that differ are built (a grouped split makes tens of thousands of parts,
   * nearly all equal).
   */
  private async parts(range: KeyRange, boundaries: KeyCuts): Promise<{ segments: Segment[]; counts: SegmentSearchResult['counts'] }> {
    const [primary, secondary] = await Promise.all([
      this.partChecksums(this.primary, range, boundaries),
      this.partChecksums(this.secondary, range, boundaries),
    ]);
    this.work.segmentsVisited += primary.length;
    const segments: Segment[] = [];
    const counts = { primary: 0, secondary: 0 };
    for (let index = 0; index < primary.length; index += 1) {
      counts.primary += primary[index].count;
      counts.secondary += secondary[index].count;
      if (segmentVerdict(primary[index], secondary[index], this.options.rowCompareLimit) === 'equal') continue;
      segments.push({ range: partOf(range, boundaries, index), primary: primary[index], secondary: secondary[index] });
    }
    return { segments, counts };
  }

  private partChecksums(side: SearchSide, range: KeyRange, boundaries: KeyCuts): Promise<RangeChecksum[]> {
    // Grouped digests are comparable only with each other: both sides grouped, or neither.
    if (this.groupedChecksums && side.segmentChecksums) return side.segmentChecksums(this.entity, range, boundaries);
    return mapLimit(splitRange(range, boundaries), this.options.concurrency, (part) => side.checksum(this.entity, part));
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

  /**
   * Compares the rows of mismatched ranges (disjoint, from one level): where both sides read many ranges in one
   * query, in reads of up to RANGES_PER_READ ranges (by row digests where both sides give them and the part digests
   * were theirs: keys and digests, not rows, through Node); otherwise range by range, each a keyset walk on both sides.
   */
  private async compareRows(ranges: KeyRange[]): Promise<void> {
    if (ranges.length === 0) return;
    this.work.segmentsComparedRowByRow += ranges.length;
    const { primary, secondary } = this;
    const options = { batchSize: this.options.batchSize };
    let results: DifferingKeys[];
    // Row digests are comparable only where the part digests were (both sides grouped).
    const digests = this.groupedChecksums && primary.rowDigestsOfRanges && secondary.rowDigestsOfRanges;
    if (digests || (primary.rowsOfRanges && secondary.rowsOfRanges)) {
      const sorted = [...ranges].sort((left, right) => compareRangeStarts(this.entity, left, right));
      const chunks: KeyRange[][] = [];
      for (let start = 0; start < sorted.length; start += RANGES_PER_READ) chunks.push(sorted.slice(start, start + RANGES_PER_READ));
      results = await mapLimit(chunks, this.options.concurrency, (chunk) =>
        digests
          ? differingKeysOfRangeDigests(this.entity, primary as RowDigestSource, secondary as RowDigestSource, chunk)
          : differingKeysOfRanges(this.entity, primary as RangeRowsSource, secondary as RangeRowsSource, chunk),
      );
    } else {
      results = await mapLimit(ranges, this.options.concurrency, (range) => differingKeysOfRange(this.entity, primary, secondary, range, options));
    }
    for (const { keys, rowsRead } of results) {
      this.work.rowsCompared += rowsRead;
      for (const [text, key] of keys) this.candidates.set(text, key);
    }
  }
}

/** Orders disjoint ranges by where they start (a range open below first). */
function compareRangeStarts(entity: EntityDefinition, left: KeyRange, right: KeyRange): number {
  if (left.from === undefined) return right.from === undefined ? 0 : -1;
  if (right.from === undefined) return 1;
  return compareKeys(entity, left.from, right.from);
}
