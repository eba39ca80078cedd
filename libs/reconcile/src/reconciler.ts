import { randomUUID } from 'node:crypto';
import type { DiffSeverityRules } from '@dualwrite/dual-write';
import { EntityRegistry, type EntityDefinition } from '@dualwrite/stores';
import { FindingRecheck } from './finding-recheck';
import type { LedgerActivity } from './ledger-activity';
import { mapLimit } from './map-limit';
import type {
  EntityReconcileResult,
  Finding,
  KeyBoundarySource,
  ReconcileOptions,
  ReconcileRunResult,
  ReconcileSide,
  SeveritySummary,
} from './reconcile.types';
import { SegmentSearch } from './segment-search';

export interface ReconcilerDependencies {
  /** The entities a run may reconcile (the host's registry), parents first. */
  entities: EntityDefinition[];
  /** The current primary and secondary; a side that can name boundaries splits segments by its keys. */
  primary: ReconcileSide & Partial<KeyBoundarySource>;
  secondary: ReconcileSide & Partial<KeyBoundarySource>;
  /** The operation ledger; without it no key is re-checked for writes during the run. */
  ledger?: LedgerActivity;
  severityRules?: DiffSeverityRules;
}

const DEFAULTS = { splitFactor: 16, maxSplitParts: 65536, rowCompareLimit: 40, concurrency: 4, batchSize: 500, settleTimeoutMs: 30_000 };
const DEFAULT_ENTITY_CONCURRENCY = 2;

/** `all` → every registered entity; otherwise the named ones, each checked (an unknown name lists the known). */
export function selectEntities(registry: EntityRegistry, selection: 'all' | readonly string[]): EntityDefinition[] {
  return selection === 'all' ? registry.all() : selection.map((name) => registry.get(name));
}

/** Counts per severity. */
export function severitySummary(findings: readonly Finding[]): SeveritySummary {
  const summary: SeveritySummary = { info: 0, warning: 0, error: 0 };
  for (const finding of findings) summary[finding.severity] += 1;
  return summary;
}

/**
 * Compares whole tables of the two stores: per entity, segment checksums find the few key ranges that differ
 * (SegmentSearch), their rows are compared, and what differs is re-checked by key, after the ledger's writes
 * on it settled, before it becomes a finding (FindingRecheck). Results are plain data.
 */
export class Reconciler {
  private readonly registry: EntityRegistry;

  constructor(private readonly dependencies: ReconcilerDependencies) {
    this.registry = new EntityRegistry(dependencies.entities);
  }

  /** Throws UnknownEntityError (naming the known entities) before anything runs. */
  entitiesFor(selection: 'all' | readonly string[]): EntityDefinition[] {
    return selectEntities(this.registry, selection);
  }

  async run(selection: 'all' | readonly string[], options: ReconcileOptions = {}): Promise<ReconcileRunResult> {
    const entities = this.entitiesFor(selection);
    const started = new Date();
    const results = await mapLimit(entities, options.entityConcurrency ?? DEFAULT_ENTITY_CONCURRENCY, (entity) => this.reconcileEntity(entity, options));
    const finished = new Date();
    const findings = results.flatMap((result) => result.findings);
    return {
      runId: randomUUID(),
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      entities: results,
      totals: { findings: findings.length, severity: severitySummary(findings) },
    };
  }

  async reconcileEntity(entity: EntityDefinition, options: ReconcileOptions = {}): Promise<EntityReconcileResult> {
    const { primary, secondary, ledger } = this.dependencies;
    const settings = { ...DEFAULTS, ...options };
    const started = new Date();
    const runStartedAt = ledger ? await ledger.now() : started;
    const search = new SegmentSearch(entity, primary, secondary, settings);
    const base = {
      entity: entity.name,
      primaryStore: primary.name,
      secondaryStore: secondary.name,
      startedAt: started.toISOString(),
    };
    try {
      const searched = await search.run(options.range ?? {});
      const recheck = new FindingRecheck(entity, primary, secondary, ledger, {
        settleTimeoutMs: settings.settleTimeoutMs,
        ignoreFields: options.ignoreFields,
        severityRules: this.dependencies.severityRules,
      });
      const findings = await recheck.findings(searched.candidates, runStartedAt);
      const finished = new Date();
      return {
        ...base,
        counts: searched.counts,
        missingInSecondary: keysOf(findings, 'missing_in_secondary'),
        missingInPrimary: keysOf(findings, 'missing_in_primary'),
        differingFields: findings.filter((finding) => finding.field !== undefined),
        findings,
        severity: severitySummary(findings),
        work: { ...searched.work, rowsCompared: searched.work.rowsCompared + recheck.rowsRead, keysRechecked: recheck.keysRechecked },
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
      };
    } catch (error) {
      const finished = new Date();
      return {
        ...base,
        counts: { primary: 0, secondary: 0 },
        missingInSecondary: [],
        missingInPrimary: [],
        differingFields: [],
        findings: [],
        severity: { info: 0, warning: 0, error: 0 },
        work: { segmentsVisited: 0, segmentsMismatched: 0, segmentsComparedRowByRow: 0, rowsCompared: 0, keysRechecked: 0 },
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }
}

/** Keys of whole rows one side lacks (a field only one side returned is a field difference). */
function keysOf(findings: readonly Finding[], kind: Finding['kind']): string[] {
  return findings.filter((finding) => finding.kind === kind && finding.field === undefined).map((finding) => finding.key);
}
