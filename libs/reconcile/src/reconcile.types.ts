import type { DiffSeverity } from '@dualwrite/dual-write';
import type { DifferenceKind, EntityDefinition, KeyRange, RangeChecksum, Row, RowKey, StorePlugin } from '@dualwrite/stores';
import type { KeyCuts, KeySpan } from './key-span';

/**
 * What reconciliation needs from one store: counts and checksums of key ranges, the rows of a range in key
 * order, and rows by key. Every StorePlugin is one (Prisma, Supabase over SQL or REST); `SqlTableReader` is
 * one over a plain PostgreSQL connection.
 */
export type ReconcileSide = Pick<StorePlugin, 'name' | 'count' | 'checksum' | 'stream' | 'findManyByIds'>;

/** A side that can also name the keys splitting a range into parts of about equal row counts. */
export interface KeyBoundarySource {
  /**
   * At most `parts - 1` keys of the range, ascending and distinct, that cut it into about equal parts.
   * `rowsInRange`, when known (from the range's checksum), spares counting them again.
   */
  boundaries(entity: EntityDefinition, range: KeyRange, parts: number, rowsInRange?: number): Promise<RowKey[]>;
}

export type LedgerState = 'quiet' | 'settled' | 'unsettled';

/** A side that can count a range and name its smallest and largest key in one query. */
export interface KeySpanSource {
  keySpan(entity: EntityDefinition, range: KeyRange): Promise<KeySpan>;
}

/** A side that can read the rows of many key ranges in one query. */
export interface RangeRowsSource {
  /** Every row of the `ranges` (disjoint, ascending), in key order. */
  rowsOfRanges(entity: EntityDefinition, ranges: readonly KeyRange[]): Promise<Row[]>;
}

/** A row's key and its 64-bit digest (`rowDigestSql`, decimal). */
export interface RowDigest {
  key: RowKey;
  digest: string;
}

/** A side that can give the digest of every row of many key ranges in one query (comparable like its part digests). */
export interface RowDigestSource {
  /** Key and digest of every row of the `ranges` (disjoint, ascending), in key order. */
  rowDigestsOfRanges(entity: EntityDefinition, ranges: readonly KeyRange[]): Promise<RowDigest[]>;
}

/** A side that can checksum every part of a split range in one pass over the range. */
export interface SegmentChecksumSource {
  /** Count and checksum of each part of `range` cut at `boundaries` (ascending): boundaries.length + 1 results. */
  segmentChecksums(entity: EntityDefinition, range: KeyRange, boundaries: KeyCuts): Promise<RangeChecksum[]>;
}

/** One difference that survived the re-check, in plain data. */
export interface Finding {
  entity: string;
  /** Primary key as text (the form the ledger and the reports use). */
  key: string;
  kind: DifferenceKind;
  /** Domain field name; absent when a whole row is missing. */
  field?: string;
  /** Normalised values as the dual-write comparison reports them; a whole row for a missing row. */
  primary: unknown;
  secondary: unknown;
  severity: DiffSeverity;
  /**
   * What the ledger said about the key: `quiet`, no write during the run; `settled`, written during the run and
   * re-checked after those writes settled; `unsettled`, a write was still owed when the wait ran out (the replay
   * may still fix it).
   */
  ledger: LedgerState;
}

export interface SeveritySummary {
  info: number;
  warning: number;
  error: number;
}

/** How much work a run pushed into the databases and how much it pulled into Node. */
export interface ReconcileWork {
  /** Segments whose checksums were compared (the whole range, then every part of every split). */
  segmentsVisited: number;
  /** Segments whose checksums differed and were split or compared row by row. */
  segmentsMismatched: number;
  /** Mismatched segments small enough (or unsplittable) to compare row by row. */
  segmentsComparedRowByRow: number;
  /** Rows read into Node, both sides together (segment comparisons and re-checks). */
  rowsCompared: number;
  /** Keys re-read after the ledger showed writes on them during the run. */
  keysRechecked: number;
}

export interface EntityReconcileResult {
  entity: string;
  primaryStore: string;
  secondaryStore: string;
  counts: { primary: number; secondary: number };
  /** Keys of rows the secondary lacks / the primary lacks. */
  missingInSecondary: string[];
  missingInPrimary: string[];
  /** Field differences of rows both sides hold. */
  differingFields: Finding[];
  /** Every finding (missing rows and field differences), each with its severity. */
  findings: Finding[];
  severity: SeveritySummary;
  work: ReconcileWork;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Set when the entity could not be reconciled (a store failed); its other fields are then partial. */
  error?: string;
}

export interface ReconcileRunResult {
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  entities: EntityReconcileResult[];
  totals: { findings: number; severity: SeveritySummary };
}

export interface ReconcileOptions {
  /** Only this key range of each entity (tests, or a partial run). Whole table when omitted. */
  range?: KeyRange;
  /**
   * Parts a mismatched segment is split into when a side checksums each part with its own query (REST). Default 16.
   * When both sides checksum all parts in one grouped query, a segment is split straight into parts of about
   * half `rowCompareLimit` rows (at most `maxSplitParts`), so bisection reaches rows in one step whatever the table size.
   */
  splitFactor?: number;
  /** Most parts one grouped split makes (its boundary keys are held in memory). Default 65536. */
  maxSplitParts?: number;
  /** A mismatched segment with at most this many rows on each side is compared row by row. Default 40. */
  rowCompareLimit?: number;
  /** Segment checksums running at once per entity (each is one query on each side). Default 4. */
  concurrency?: number;
  /**
   * Entities reconciled at once. Default 2: one entity's grouped pass keeps both databases busy while another's
   * shorter queries (counts, row reads, re-checks) wait on round trips. Results keep the entities' order.
   */
  entityConcurrency?: number;
  /** Rows per keyset page when reading a segment's rows. Default 500. */
  batchSize?: number;
  /** Longest wait for the ledger's writes on a key to settle before re-checking it. Default 30 s. */
  settleTimeoutMs?: number;
  /** Fields left out of the comparison on top of each entity's ignoreInComparison. */
  ignoreFields?: readonly string[];
}

export type { RangeChecksum, Row };
