import { randomUUID } from 'node:crypto';
import type { KeySync, OperationLedger, SyncReport } from '@dualwrite/dual-write';
import { EntityRegistry, UnknownEntityError, compareResults, type EntityDefinition, type StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { keyFromText, keyText } from '../key-order';
import { KeyAssessment, differencesByKey, type AssessmentSides } from './key-assessment';
import { RepairInputError } from './repair-input';
import { RepairRunRepository } from './repair-repository';
import { currentRoles, type StoreRoles } from '../verify/store-roles';
import type { AppliedKeyAction, KeyLeft, PlannedKeyAction, RecordedDifference, RecordedEntity, RepairInput, RepairOutcome, RepairPlan, RepairProgress, RepairResult } from './repair.types';

export interface DataRepairDependencies {
  /** The host's entities, parents first (copies go parents first, deletes children first). */
  entities: EntityDefinition[];
  /** Store A and store B; which is the primary is read from the flags in the control database at each call. */
  stores: { a: StorePlugin; b: StorePlugin };
  /** The control database: flags, ledger, repair_runs / repair_actions. */
  control: Pool;
  /** The protocol's order-proof primitive (PROTOCOL.md, mechanism 1): every change a repair makes goes through it. */
  keySync: KeySync;
  /** Proves deletes for the plan (KeySync asks it again under its lock). */
  ledger: OperationLedger;
  /** Fields left out of the comparison, as the reconcile run left them out. */
  ignoreFields?: readonly string[];
  /** Keys per KeySync call and per read. Default 200. */
  keysPerBatch?: number;
  /** Called after each batch of each step (the CLI's progress bar). */
  onProgress?: (progress: RepairProgress) => void;
}

interface Prepared {
  entity: EntityDefinition;
  recorded: RecordedEntity;
  keys: Map<string, RecordedDifference[]>;
}

/**
 * Repairs what a reconcile run found (compensate-data): plans each key from both stores' rows now and the ledger
 * (`plan`, writes nothing), or applies the plan (`apply`) from the current primary through KeySync, audited in
 * repair_runs / repair_actions, and re-checks every key afterwards. Keys that moved since the report are skipped and
 * listed; a row the primary lacks is deleted only with the ledger's proof of a delete.
 */
export class DataRepair {
  private readonly registry: EntityRegistry;
  private readonly assessment: KeyAssessment;
  private readonly audit: RepairRunRepository;

  constructor(private readonly dependencies: DataRepairDependencies) {
    this.registry = new EntityRegistry(dependencies.entities);
    this.assessment = new KeyAssessment(dependencies.control, dependencies.ledger, dependencies.ignoreFields);
    this.audit = new RepairRunRepository(dependencies.control);
  }

  /** Every change `apply` would make now, and every key it would skip or leave, with why. Writes nothing anywhere. */
  async plan(input: RepairInput): Promise<RepairPlan> {
    const prepared = this.prepare(input);
    const current = await currentRoles(this.dependencies.control, this.dependencies.stores);
    const actions = await this.assess(input, prepared, current);
    return { reportRunId: input.runId, primaryStore: current.primary.name, secondaryStore: current.secondary.name, warnings: this.warnings(prepared, current), actions };
  }

  /** Applies the plan through KeySync, audited; re-checks every key of the report and returns what is left and why. */
  async apply(input: RepairInput, options: { requestedBy: string }): Promise<RepairResult> {
    const started = Date.now();
    const prepared = this.prepare(input);
    const current = await currentRoles(this.dependencies.control, this.dependencies.stores);
    const repairId = randomUUID();
    await this.audit.start(repairId, input, { primary: current.primary.name, secondary: current.secondary.name }, options.requestedBy);
    try {
      const planned = await this.assess(input, prepared, current);
      const outcomes = await this.sync(prepared, planned, current);
      const stillDiffering = await this.recheck(prepared, current);
      const actions = planned.map((action): AppliedKeyAction => {
        const outcome = outcomes.get(slot(action.entity, action.key)) ?? { outcome: action.action === 'nothing' ? 'nothing' : 'skipped' };
        return { ...action, ...outcome, stillDiffers: stillDiffering.has(slot(action.entity, action.key)) };
      });
      const result: RepairResult = {
        repairId,
        reportRunId: input.runId,
        primaryStore: current.primary.name,
        secondaryStore: current.secondary.name,
        warnings: this.warnings(prepared, current),
        actions,
        left: actions.filter((action) => action.stillDiffers).map(leftReason),
        counts: countOutcomes(actions),
        durationMs: Date.now() - started,
      };
      const failures = actions.filter((action) => action.outcome === 'failed');
      await this.audit.finish(result, failures.length > 0 ? `${failures.length} keys failed: ${failures[0]?.reason ?? ''}` : undefined);
      return result;
    } catch (error) {
      await this.audit.fail(repairId, error instanceof Error ? error.message : String(error)).catch(() => undefined);
      throw error;
    }
  }

  /** Checks the input before anything is read or written: known entities, this platform's two stores. */
  private prepare(input: RepairInput): Prepared[] {
    const names = new Set([this.dependencies.stores.a.name, this.dependencies.stores.b.name]);
    const byName = new Map<string, RecordedEntity>();
    for (const recorded of input.entities) {
      try {
        this.registry.get(recorded.entity);
      } catch (error) {
        if (error instanceof UnknownEntityError) throw new RepairInputError(`the report names an unknown entity "${recorded.entity}"; valid: ${this.registry.names().join(', ')}`);
        throw error;
      }
      const pair = [recorded.primaryStore, recorded.secondaryStore];
      if (pair[0] === pair[1] || !pair.every((name) => names.has(name))) {
        throw new RepairInputError(
          `the report compares ${pair.join(' and ')} for ${recorded.entity}; this platform's stores are ${[...names].join(' and ')}: refused, nothing applied`,
        );
      }
      if (byName.has(recorded.entity)) throw new RepairInputError(`the report names ${recorded.entity} twice`);
      byName.set(recorded.entity, recorded);
    }
    // The registry's order: parents first.
    return this.dependencies.entities.flatMap((entity) => {
      const recorded = byName.get(entity.name);
      if (!recorded) return [];
      const keys = new Map([...recorded.keys].map(([key, differences]) => [keyText(entity, key), differences]));
      return [{ entity, recorded, keys }];
    });
  }

  private warnings(prepared: Prepared[], current: { primary: StorePlugin }): string[] {
    const warnings: string[] = [];
    for (const { recorded } of prepared) {
      if (recorded.primaryStore !== current.primary.name) {
        warnings.push(`${recorded.entity}: the run had ${recorded.primaryStore} as primary; the flags now name ${current.primary.name}, the repair copies from it`);
      }
      if (recorded.error) warnings.push(`${recorded.entity}: the run could not reconcile it (${recorded.error}); its findings are partial`);
    }
    return warnings;
  }

  private async assess(input: RepairInput, prepared: Prepared[], current: { primary: StorePlugin; secondary: StorePlugin }): Promise<PlannedKeyAction[]> {
    const storeNamed = (name: string) => (current.primary.name === name ? current.primary : current.secondary);
    const actions: PlannedKeyAction[] = [];
    const report = this.progressOf('assess', keyCount(prepared));
    for (const { entity, recorded, keys } of prepared) {
      const sides: AssessmentSides = { report: { primary: storeNamed(recorded.primaryStore), secondary: storeNamed(recorded.secondaryStore) }, current };
      for (const batch of batches([...keys.entries()], this.batchSize)) {
        actions.push(...(await this.assessment.assess(entity, new Map(batch), sides, input.finishedAt)));
        report(batch.length);
      }
    }
    return actions;
  }

  /** Copies parents first, then deletes (and leaves) children first, each batch through KeySync; the outcome per key. */
  private async sync(prepared: Prepared[], planned: PlannedKeyAction[], current: StoreRoles) {
    const outcomes = new Map<string, { outcome: RepairOutcome; reason?: string }>();
    const keysOf = (entity: string, kinds: PlannedKeyAction['action'][]) =>
      planned.filter((action) => action.entity === entity && kinds.includes(action.action)).map((action) => action.key);
    const passes: [EntityDefinition, string[]][] = [
      ...prepared.map(({ entity }): [EntityDefinition, string[]] => [entity, keysOf(entity.name, ['copy'])]),
      ...[...prepared].reverse().map(({ entity }): [EntityDefinition, string[]] => [entity, keysOf(entity.name, ['delete', 'leave'])]),
    ];
    const report = this.progressOf('sync', passes.reduce((total, [, keys]) => total + keys.length, 0));
    for (const [entity, keys] of passes) {
      for (const batch of batches(keys, this.batchSize)) {
        try {
          const keys = batch.map((key) => keyFromText(entity, key));
          const report = await this.dependencies.keySync.sync(entity, keys, current.primary, current.secondary, [], { flagsPrimary: current.primarySide });
          for (const [key, outcome] of outcomesOf(entity, batch, report)) outcomes.set(slot(entity.name, key), outcome);
        } catch (error) {
          const reason = `KeySync failed: ${error instanceof Error ? error.message : String(error)}`;
          for (const key of batch) outcomes.set(slot(entity.name, key), { outcome: 'failed', reason });
        }
        report(batch.length);
      }
    }
    return outcomes;
  }

  /** Every key of the report read again on both stores: the slots (entity, key) that still differ. */
  private async recheck(prepared: Prepared[], current: { primary: StorePlugin; secondary: StorePlugin }): Promise<Set<string>> {
    const differing = new Set<string>();
    const report = this.progressOf('recheck', keyCount(prepared));
    for (const { entity, keys } of prepared) {
      for (const batch of batches([...keys.keys()], this.batchSize)) {
        const ids = batch.map((key) => keyFromText(entity, key));
        const [primaryRows, secondaryRows] = await Promise.all([current.primary.findManyByIds(entity, ids), current.secondary.findManyByIds(entity, ids)]);
        const { differences } = compareResults(entity, primaryRows, secondaryRows, { ignoreFields: this.dependencies.ignoreFields });
        for (const key of differencesByKey(entity, differences).keys()) differing.add(slot(entity.name, key));
        report(batch.length);
      }
    }
    return differing;
  }

  /** A counter for one step: each call adds the keys of a batch and reports the step's progress. */
  private progressOf(step: RepairProgress['step'], keysTotal: number): (keys: number) => void {
    let keysDone = 0;
    return (keys) => {
      keysDone += keys;
      this.dependencies.onProgress?.({ step, keysDone, keysTotal });
    };
  }

  private get batchSize(): number {
    return this.dependencies.keysPerBatch ?? 200;
  }
}

function keyCount(prepared: readonly Prepared[]): number {
  return prepared.reduce((total, { keys }) => total + keys.size, 0);
}

function outcomesOf(entity: EntityDefinition, keys: string[], report: SyncReport): Map<string, { outcome: RepairOutcome; reason?: string }> {
  const outcomes = new Map<string, { outcome: RepairOutcome; reason?: string }>(keys.map((key) => [key, { outcome: 'nothing' }]));
  for (const copied of report.copied) outcomes.set(keyText(entity, copied.key), { outcome: 'copied' });
  for (const key of report.deleted) outcomes.set(keyText(entity, key), { outcome: 'deleted' });
  for (const left of report.left) outcomes.set(keyText(entity, left.key), { outcome: 'left', reason: left.reason });
  return outcomes;
}

function leftReason(action: AppliedKeyAction): KeyLeft {
  const base = { entity: action.entity, key: action.key };
  if (action.reason) return { ...base, reason: action.reason };
  return { ...base, reason: `still differs after the repair (${action.outcome}): a write may be on its way; reconcile again` };
}

function countOutcomes(actions: readonly AppliedKeyAction[]): Record<RepairOutcome, number> {
  const counts: Record<RepairOutcome, number> = { copied: 0, deleted: 0, left: 0, skipped: 0, nothing: 0, failed: 0 };
  for (const action of actions) counts[action.outcome] += 1;
  return counts;
}

function slot(entity: string, key: string): string {
  return `${entity}\u0000${key}`;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
