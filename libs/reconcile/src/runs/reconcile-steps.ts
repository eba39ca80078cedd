import type { DiffSeverityRules } from '@dualwrite/dual-write';
import type { EntityDefinition, KeyRange, RowKey } from '@dualwrite/stores';
import { FindingRecheck } from '../finding-recheck';
import { keyFromText } from '../key-order';
import type { LedgerActivity } from '../ledger-activity';
import type { EntityReconcileResult, Finding, KeyBoundarySource, ReconcileSide, ReconcileWork } from '../reconcile.types';
import { severitySummary } from '../reconciler';
import { SegmentSearch, splitRange } from '../segment-search';
import type { PlannedSegment, RunOptions, SegmentRecord } from './run.types';

export type RunSide = ReconcileSide & Partial<KeyBoundarySource>;

/** The Reconciler's defaults, so a distributed run finds what an in-process one finds. */
const SEARCH_DEFAULTS = { splitFactor: 16, maxSplitParts: 16384, rowCompareLimit: 40, concurrency: 4, batchSize: 500, settleTimeoutMs: 30_000 };
export const DEFAULT_SEGMENT_ROWS = 50_000;
/** Most segment jobs per entity (a huge table gets bigger segments, not more jobs). */
const MAX_SEGMENTS = 2000;

/** What a reconcile segment job records: the keys that differ in its range (re-checked by the entity job), counts, work. */
export interface ReconcileSegmentResult {
  counts: { primary: number; secondary: number };
  candidates: string[];
  work: ReconcileWork;
}

function emptyWork(): ReconcileWork {
  return { segmentsVisited: 0, segmentsMismatched: 0, segmentsComparedRowByRow: 0, rowsCompared: 0, keysRechecked: 0 };
}

/**
 * Cuts an entity's key order into segments of about `segmentRows` rows at keys the side with more rows names (one
 * scan of its key index): [start, k1), [k1, k2), …, [kn, end), open at both ends so rows written meanwhile are in one.
 */
export async function planReconcileSegments(entity: EntityDefinition, primary: RunSide, secondary: RunSide, options: RunOptions): Promise<PlannedSegment[]> {
  const [primaryRows, secondaryRows] = await Promise.all([primary.count(entity), secondary.count(entity)]);
  const rows = Math.max(primaryRows, secondaryRows);
  const parts = Math.min(MAX_SEGMENTS, Math.ceil(rows / (options.segmentRows ?? DEFAULT_SEGMENT_ROWS)));
  const [larger, smaller] = primaryRows >= secondaryRows ? [primary, secondary] : [secondary, primary];
  const namer = larger.boundaries ? larger : smaller.boundaries ? smaller : null;
  const boundaries: RowKey[] = parts >= 2 && namer?.boundaries ? await namer.boundaries(entity, {}, parts, namer === larger ? rows : undefined) : [];
  const ranges = splitRange({}, boundaries);
  return ranges.map((range, index) => ({ segmentNo: index + 1, range, rowsPlanned: Math.round(rows / ranges.length) }));
}

/** One segment: SegmentSearch over its key range (checksums on both sides, bisection, rows compared). */
export async function reconcileSegment(entity: EntityDefinition, primary: RunSide, secondary: RunSide, range: KeyRange, options: RunOptions): Promise<ReconcileSegmentResult> {
  const settings = { ...SEARCH_DEFAULTS, ...definedOnly(options) };
  const searched = await new SegmentSearch(entity, primary, secondary, settings).run(range);
  return { counts: searched.counts, candidates: [...searched.candidates.keys()], work: searched.work };
}

export interface FinaliseReconcileInput {
  entity: EntityDefinition;
  primary: RunSide;
  secondary: RunSide;
  ledger: LedgerActivity | undefined;
  severityRules?: DiffSeverityRules;
  segments: SegmentRecord[];
  /** When the run began (the control database's clock): keys written since are re-checked after they settle. */
  ledgerStartedAt: Date;
  startedAt: Date;
  options: RunOptions;
}

/**
 * The entity job: the segments' differing keys re-checked by key after the ledger's writes on them settled
 * (FindingRecheck, as the in-process Reconciler does), into the entity's result. A failed segment fails the entity.
 */
export async function finaliseReconcileEntity(input: FinaliseReconcileInput): Promise<EntityReconcileResult> {
  const { entity, primary, secondary, segments } = input;
  const counts = { primary: 0, secondary: 0 };
  const work = emptyWork();
  const candidates = new Map<string, RowKey>();
  for (const segment of segments) {
    if (segment.status !== 'done') continue;
    const result = segment.result as ReconcileSegmentResult;
    counts.primary += result.counts.primary;
    counts.secondary += result.counts.secondary;
    for (const field of Object.keys(work) as (keyof ReconcileWork)[]) work[field] += result.work[field];
    for (const key of result.candidates) candidates.set(key, keyFromText(entity, key));
  }
  const base = { entity: entity.name, primaryStore: primary.name, secondaryStore: secondary.name, startedAt: input.startedAt.toISOString() };
  const failed = segments.filter((segment) => segment.status !== 'done');
  const finish = (findings: Finding[], extra: Partial<EntityReconcileResult> = {}): EntityReconcileResult => {
    const finished = new Date();
    return {
      ...base,
      counts,
      missingInSecondary: keysOf(findings, 'missing_in_secondary'),
      missingInPrimary: keysOf(findings, 'missing_in_primary'),
      differingFields: findings.filter((finding) => finding.field !== undefined),
      findings,
      severity: severitySummary(findings),
      work,
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - input.startedAt.getTime(),
      ...extra,
    };
  };
  if (failed.length > 0) {
    const first = failed[0] as SegmentRecord;
    return finish([], { error: `${failed.length} of ${segments.length} segments failed; segment ${first.segmentNo}: ${first.error ?? first.status}` });
  }
  const recheck = new FindingRecheck(entity, primary, secondary, input.ledger, {
    settleTimeoutMs: input.options.settleTimeoutMs ?? SEARCH_DEFAULTS.settleTimeoutMs,
    ignoreFields: input.options.ignoreFields,
    severityRules: input.severityRules,
  });
  const findings = await recheck.findings(candidates, input.ledgerStartedAt);
  work.rowsCompared += recheck.rowsRead;
  work.keysRechecked = recheck.keysRechecked;
  return finish(findings);
}

function keysOf(findings: readonly Finding[], kind: Finding['kind']): string[] {
  return findings.filter((finding) => finding.kind === kind && finding.field === undefined).map((finding) => finding.key);
}

function definedOnly(options: RunOptions): Partial<typeof SEARCH_DEFAULTS> & { ignoreFields?: readonly string[] } {
  const picked: Partial<typeof SEARCH_DEFAULTS> & { ignoreFields?: readonly string[] } = {};
  if (options.rowCompareLimit !== undefined) picked.rowCompareLimit = options.rowCompareLimit;
  if (options.concurrency !== undefined) picked.concurrency = options.concurrency;
  if (options.batchSize !== undefined) picked.batchSize = options.batchSize;
  if (options.ignoreFields !== undefined) picked.ignoreFields = options.ignoreFields;
  return picked;
}
