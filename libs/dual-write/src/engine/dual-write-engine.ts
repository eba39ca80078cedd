import type { StoreBreakers } from '../breakers/store-breakers';
import type { DiffSeverityRules } from '../compare/diff-severity';
import type { DiffPolicy } from '../compare/diff-policy';
import type { DiffSink } from '../diffs/diff-record';
import { ContractViolationError, StoreUnavailableError, primaryKeyOf, validateRow } from '@dualwrite/stores';
import type { EntityRegistry, Page, PageRequest, Row, RowKey, StorePlugin } from '@dualwrite/stores';
import type { FlagService } from '../flags/flag-service';
import type { OperationLedger, OperationObservation, WriteOperation } from '../ledger/operation-ledger';
import type { DualWriteMetrics } from '../metrics/dual-write-metrics';
import type { ReplayQueue } from '../replay/replay-queue';
import { copyRowsByKey } from '../replay/secondary-sync';
import { BackgroundWork } from './background-work';
import { DiffRecorder } from './diff-recorder';
import { DualReader } from './dual-reader';
import type { DualWriteResult, StoreOutcome } from './dual-write-result';
import type { InsertBatcher } from './insert-batcher';
import { OperationPlanner, planResult, type OperationPlan } from './operation-plan';
import { StoreCallObserver, storeOutcome } from './store-call-observer';
import { StoreCaller, type StoreCall } from './store-caller';
import { describeError, settledWithin, timed, type Timed } from './timed';
import { PrimaryKeyRequiredError, validBatchRows, validCreateRow } from './write-payloads';
import { stampTimestamps } from './write-timestamps';

export interface DualWriteEngineOptions {
  /** Store A (the store being left) and store B (the store being moved to; absent = degraded, A only). */
  stores: { a: StorePlugin; b: StorePlugin | null };
  entities: EntityRegistry;
  flags: FlagService;
  ledger: OperationLedger;
  replayQueue: ReplayQueue;
  breakers: StoreBreakers;
  diffs: DiffSink;
  diffPolicy: DiffPolicy;
  severityRules?: DiffSeverityRules;
  /** Longest the caller waits for the secondary; its write goes on and settles in the background. Default 0. */
  secondaryTimeoutMs?: number;
  /** Share of reads shadowed on the secondary in dual modes, 0..1. Default 1. */
  shadowReadRate?: number;
  /** Read from the secondary when the primary is unavailable (result flagged degraded). Default true. */
  readFallbackToSecondary?: boolean;
  /** Group commit for keyed creates; absent = one insert per create. */
  insertBatcher?: InsertBatcher;
  random?: () => number;
  onWarning?: (message: string) => void;
  /** Latencies and diff counts for /metrics; absent = nothing measured. */
  metrics?: DualWriteMetrics;
}

export interface WriteRequest {
  entity: string;
  /** Idempotency key; a retry with the same opId returns the first answer. Generated when absent. */
  opId?: string;
  /** Names the caller in diffs and stats, e.g. `POST /api/budgets`. */
  endpoint?: string;
}

export { PrimaryKeyRequiredError };

/**
 * The dual-write core: routes each write to the primary (and in dual modes to the secondary in parallel),
 * returns the primary's answer, keeps the ledger, queues what the secondary still owes, compares results.
 */
export class DualWriteEngine {
  private readonly secondaryTimeoutMs: number;
  private readonly planner: OperationPlanner;
  private readonly storeCaller: StoreCaller;
  private readonly observer: StoreCallObserver;
  private readonly diffRecorder: DiffRecorder;
  private readonly background: BackgroundWork;
  private readonly reader: DualReader;
  /** The primary's answers of writes whose secondary is still settling, for a retry of the same opId meanwhile. */
  private readonly settlingAnswers = new Map<string, Row>();

  constructor(private readonly options: DualWriteEngineOptions) {
    this.secondaryTimeoutMs = options.secondaryTimeoutMs ?? 0;
    this.planner = new OperationPlanner(options);
    this.storeCaller = new StoreCaller(options);
    this.observer = new StoreCallObserver(options);
    this.diffRecorder = new DiffRecorder(options, this.observer);
    this.background = new BackgroundWork(options);
    this.reader = new DualReader(options, {
      planner: this.planner,
      storeCaller: this.storeCaller,
      observer: this.observer,
      diffRecorder: this.diffRecorder,
      background: this.background,
    });
  }

  /**
   * Waits (at most `timeoutMs`) for the work still running after its callers were answered: secondary writes
   * to settle in the ledger, comparisons and shadow reads to queue their diffs. For shutdown, before the
   * stores, queues and control pool close. Returns how many were still running when the wait ended.
   */
  async drain(timeoutMs = 10_000): Promise<number> {
    return this.background.drain(timeoutMs);
  }

  // ---- writes ------------------------------------------------------------------------------

  async create(request: WriteRequest, payload: unknown): Promise<DualWriteResult<Row>> {
    const entity = this.options.entities.get(request.entity);
    const valid = validCreateRow(entity, payload);
    const key = primaryKeyOf(entity, valid);
    const batcher = this.options.insertBatcher;
    const insert: StoreCall = batcher && key !== undefined ? (store) => batcher.insert(store, entity, valid) : (store) => store.insert(entity, valid);
    return this.write(request, 'create', key === undefined ? [] : [key], valid, insert, { serialCreate: key === undefined });
  }

  async update(request: WriteRequest, key: RowKey, patch: unknown): Promise<DualWriteResult<Row>> {
    const entity = this.options.entities.get(request.entity);
    const valid = stampTimestamps(entity, validateRow(entity, patch, 'partial'), 'change');
    return this.write(request, 'update', [key], valid, (store) => store.update(entity, key, valid));
  }

  async upsert(request: WriteRequest, payload: unknown): Promise<DualWriteResult<Row>> {
    const entity = this.options.entities.get(request.entity);
    const valid = stampTimestamps(entity, validateRow(entity, payload, 'full'), 'change');
    const key = primaryKeyOf(entity, valid);
    if (key === undefined) throw new PrimaryKeyRequiredError(entity.name, [{ path: entity.primaryKey, message: 'is required for an upsert' }]);
    return this.write(request, 'upsert', [key], valid, (store) => store.upsert(entity, valid));
  }

  async delete(request: WriteRequest, key: RowKey): Promise<DualWriteResult<Row>> {
    const entity = this.options.entities.get(request.entity);
    return this.write(request, 'delete', [key], { [entity.primaryKey]: key }, (store) => store.delete(entity, key));
  }

  /** Upserts many rows as one unit on each store: all of them or none. Every row needs its key. */
  async batch(request: WriteRequest, payloads: unknown[]): Promise<DualWriteResult<{ count: number }>> {
    const entity = this.options.entities.get(request.entity);
    const { rows, keys } = validBatchRows(entity, payloads);
    const result = await this.write(request, 'batch', keys, rows, async (store) => ({ count: await store.batchUpsert(entity, rows) }));
    return result as DualWriteResult<{ count: number }>;
  }

  // ---- reads (DualReader) ------------------------------------------------------------------

  async find(entityName: string, key: RowKey, endpoint?: string): Promise<DualWriteResult<Row | null>> {
    return this.reader.find(entityName, key, endpoint);
  }

  async findMany(entityName: string, keys: RowKey[], endpoint?: string): Promise<DualWriteResult<Row[]>> {
    return this.reader.findMany(entityName, keys, endpoint);
  }

  /** One keyset page from the primary (shadow-compared row by row in dual modes). */
  async page(entityName: string, request: PageRequest, endpoint?: string): Promise<DualWriteResult<Page>> {
    return this.reader.page(entityName, request, endpoint);
  }

  // -------------------------------------------------------------------------------------------

  private async write(
    request: WriteRequest,
    operation: WriteOperation,
    keys: RowKey[],
    payload: unknown,
    call: StoreCall,
    options: { serialCreate?: boolean } = {},
  ): Promise<DualWriteResult<Row>> {
    const entity = this.options.entities.get(request.entity);
    const plan = await this.planner.plan(entity, request, `${operation} ${entity.name}`);
    const claim = await this.options.ledger
      .claim({
        opId: plan.opId,
        entity: entity.name,
        operation,
        entityIds: keys.map(String),
        payload,
        primaryStore: plan.primary.name,
        secondaryStore: plan.secondary?.name ?? null,
        mode: plan.mode.name,
      })
      .catch((error: unknown) => {
        // No ledger, no write: a write the ledger cannot record could be lost for the secondary.
        throw new StoreUnavailableError('control', `the operation ledger cannot record the write: ${describeError(error)}`, 'CONTROL_DB', { cause: error });
      });
    if (!claim.created) return this.replayedAnswer(plan, claim.record.status, claim.record.result, claim.record.lastError);

    if (!plan.secondary) return this.writePrimaryOnly(plan, operation, call);
    if (options.serialCreate) return this.writeSerialCreate(plan, call);
    return this.writeBoth(plan, operation, keys, call);
  }

  private async writePrimaryOnly(plan: OperationPlan, operation: WriteOperation, call: StoreCall): Promise<DualWriteResult<Row>> {
    const primary = await this.storeCaller.call(plan.primary, call);
    const outcomes = [storeOutcome(plan.primary, 'primary', primary)];
    if (!primary.ok) {
      await this.options.ledger.markPrimaryFailed(plan.opId, primary.error, this.observer.observe(plan, 'write', operation, outcomes));
      throw primary.error;
    }
    await this.options.ledger.markApplied(plan.opId, primary.value, this.observer.observe(plan, 'write', operation, outcomes));
    return planResult(plan, primary.value as Row, outcomes, false, []);
  }

  /** Both stores at once; the caller waits for the primary and at most `secondaryTimeoutMs` for the secondary. */
  private async writeBoth(plan: OperationPlan, operation: WriteOperation, keys: RowKey[], call: StoreCall): Promise<DualWriteResult<Row>> {
    const secondaryStore = plan.secondary as StorePlugin;
    const secondaryWork = this.storeCaller.call(secondaryStore, call);
    const [primary, secondary] = await Promise.all([this.storeCaller.call(plan.primary, call), settledWithin(secondaryWork, this.secondaryTimeoutMs)]);
    if (!primary.ok) {
      // The secondary must not keep what the primary rejected: make it hold what the primary holds.
      const outcomes = [storeOutcome(plan.primary, 'primary', primary), storeOutcome(secondaryStore, 'secondary', await secondaryWork)];
      await this.compensate(plan, keys, operation, primary.error, secondaryWork, outcomes);
      throw primary.error;
    }
    return this.answer(plan, operation, keys, primary, secondary, secondaryWork);
  }

  /** A database-assigned key: the primary first, then the secondary with the primary's row and key. */
  private async writeSerialCreate(plan: OperationPlan, call: StoreCall): Promise<DualWriteResult<Row>> {
    const { entity } = plan;
    const secondaryStore = plan.secondary as StorePlugin;
    const primary = await this.storeCaller.call(plan.primary, call);
    if (!primary.ok) {
      await this.options.ledger.markPrimaryFailed(plan.opId, primary.error, this.observer.observe(plan, 'write', 'create', [storeOutcome(plan.primary, 'primary', primary)]));
      throw primary.error;
    }
    const row = primary.value as Row;
    const key = primaryKeyOf(entity, row) as RowKey;
    await this.options.ledger.setEntityIds(plan.opId, [String(key)]);
    const secondaryWork = timed(() =>
      this.storeCaller.guarded(secondaryStore, async () => {
        const written = await secondaryStore.upsert(entity, row);
        await secondaryStore.keepSequenceAbove(entity, Number(key));
        return written;
      }),
    );
    return this.answer(plan, 'create', [key], primary, await settledWithin(secondaryWork, this.secondaryTimeoutMs), secondaryWork);
  }

  /**
   * The primary holds the write: records how the secondary's went and answers with the primary's row. A
   * secondary still writing when the caller's wait ended (`secondary` undefined) settles in the background:
   * applied in the ledger when it lands, queued for replay when it fails (swept from the ledger if this
   * process stops first).
   */
  private async answer(
    plan: OperationPlan,
    operation: WriteOperation,
    keys: RowKey[],
    primary: Timed<unknown> & { ok: true },
    secondary: Timed<unknown> | undefined,
    secondaryWork: Promise<Timed<unknown>>,
  ): Promise<DualWriteResult<Row>> {
    const secondaryStore = plan.secondary as StorePlugin;
    const row = primary.value as Row;
    if (secondary === undefined) {
      const answeredAfterMs = Math.round(performance.now() - plan.startedAt);
      this.settlingAnswers.set(plan.opId, row);
      this.background.track(
        secondaryWork
          .then((settled) => this.settleLate(plan, operation, keys, primary, settled, answeredAfterMs))
          .finally(() => this.settlingAnswers.delete(plan.opId)),
      );
      const pending: StoreOutcome = { store: secondaryStore.name, role: 'secondary', status: 'pending', latencyMs: null };
      // With a zero timeout not waiting is the configuration, not news worth a warning.
      const warnings = this.secondaryTimeoutMs > 0 ? [`${secondaryStore.name} still writing after ${this.secondaryTimeoutMs} ms; the ledger settles it (replayed if it fails)`] : [];
      return planResult(plan, row, [storeOutcome(plan.primary, 'primary', primary), pending], false, warnings);
    }
    const outcomes = [storeOutcome(plan.primary, 'primary', primary), storeOutcome(secondaryStore, 'secondary', secondary)];
    if (!secondary.ok) {
      const warnings = [`${secondaryStore.name} failed: ${describeError(secondary.error)}; queued for replay`];
      await this.owe(plan, row, secondary.error, warnings, this.observer.observe(plan, 'write', operation, outcomes));
      return planResult(plan, row, outcomes, true, warnings);
    }
    await this.options.ledger.markApplied(plan.opId, row, this.observer.observe(plan, 'write', operation, outcomes));
    this.background.track(this.diffRecorder.compareWrite(plan, operation, keys, primary, secondary));
    return planResult(plan, row, outcomes, false, []);
  }

  /** After the caller was answered: records how the secondary's write ended, as `answer` would have. */
  private async settleLate(
    plan: OperationPlan,
    operation: WriteOperation,
    keys: RowKey[],
    primary: Timed<unknown> & { ok: true },
    secondary: Timed<unknown>,
    answeredAfterMs: number,
  ): Promise<void> {
    const outcomes = [storeOutcome(plan.primary, 'primary', primary), storeOutcome(plan.secondary as StorePlugin, 'secondary', secondary)];
    const observation = this.observer.observe(plan, 'write', operation, outcomes, answeredAfterMs);
    try {
      if (!secondary.ok) {
        await this.owe(plan, primary.value, secondary.error, [], observation);
        return;
      }
      await this.options.ledger.markApplied(plan.opId, primary.value, observation);
      await this.diffRecorder.compareWrite(plan, operation, keys, primary, secondary);
    } catch (error) {
      this.options.onWarning?.(`operation ${plan.opId} could not be settled (${describeError(error)}); the ledger sweep replays it`);
    }
  }

  private async compensate(
    plan: OperationPlan,
    keys: RowKey[],
    operation: WriteOperation,
    primaryError: unknown,
    secondaryWork: Promise<Timed<unknown>>,
    outcomes: StoreOutcome[],
  ): Promise<void> {
    const secondaryStore = plan.secondary as StorePlugin;
    const settled = await secondaryWork;
    if (!settled.ok) {
      await this.options.ledger.markPrimaryFailed(plan.opId, primaryError, this.observer.observe(plan, 'write', operation, outcomes));
      return;
    }
    try {
      await copyRowsByKey(plan.entity, keys, plan.primary, secondaryStore);
      const secondaryOutcome = outcomes.find((outcome) => outcome.role === 'secondary');
      if (secondaryOutcome) secondaryOutcome.status = 'compensated';
      await this.options.ledger.markPrimaryFailed(plan.opId, primaryError, this.observer.observe(plan, 'write', operation, outcomes));
    } catch (error) {
      // Could not undo it now: the replay makes the secondary match the primary later.
      await this.owe(plan, null, error, [], this.observer.observe(plan, 'write', operation, outcomes));
    }
    await this.diffRecorder.record(plan, operation, keys.length === 1 ? keys[0] ?? null : null, 'error', [
      { path: '$', kind: 'changed', primary: `rejected: ${describeError(primaryError)}`, secondary: 'accepted (compensated)' },
    ], null, settled.latencyMs);
  }

  /** Records that the secondary owes this write and queues its replay; the ledger keeps it if Redis is away. */
  private async owe(plan: OperationPlan, primaryResult: unknown, reason: unknown, warnings: string[], observation?: OperationObservation): Promise<void> {
    await this.options.ledger.markSecondaryPending(plan.opId, primaryResult, reason, observation);
    try {
      await this.options.replayQueue.enqueue(plan.opId);
    } catch (error) {
      const message = `replay of ${plan.opId} kept in the ledger only (queue unreachable: ${describeError(error)}); the worker's ledger sweep will queue it`;
      warnings.push(message);
      this.options.onWarning?.(message);
    }
  }

  private replayedAnswer(plan: OperationPlan, status: string, result: unknown, lastError: string | null): DualWriteResult<Row> {
    if (status === 'applied' || status === 'secondary_pending' || status === 'dead') {
      return planResult(plan, result as Row, [], status !== 'applied', [`operation ${plan.opId} was already applied; returning its first answer`]);
    }
    const settling = this.settlingAnswers.get(plan.opId);
    if (status === 'pending' && settling) {
      // The primary wrote it and this process answered; the secondary's outcome is not in the ledger yet.
      return planResult(plan, settling, [], false, [`operation ${plan.opId} was already applied; returning its first answer`]);
    }
    if (status === 'primary_failed') {
      throw new ContractViolationError(plan.entity.name, [{ path: 'opId', message: `operation ${plan.opId} was rejected before: ${lastError ?? 'unknown error'}` }]);
    }
    throw new StoreUnavailableError(plan.primary.name, `operation ${plan.opId} is still in progress; retry shortly`, 'IN_PROGRESS');
  }
}
