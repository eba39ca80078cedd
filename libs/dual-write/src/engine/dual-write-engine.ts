import type { StoreBreakers } from '../breakers/store-breakers';
import type { DiffSeverityRules } from '../compare/diff-severity';
import type { DiffPolicy } from '../compare/diff-policy';
import type { DiffSink } from '../diffs/diff-record';
import { ContractViolationError, StoreUnavailableError, primaryKeyOf, validateRow } from '@dualwrite/stores';
import type { EntityRegistry, Page, PageRequest, Row, RowKey, StorePlugin } from '@dualwrite/stores';
import { isBreakerOpenError } from '../breakers/breaker-open-error';
import type { FlagService } from '../flags/flag-service';
import { FlagsMovedError, type OperationLedger, type OperationRecord, type WriteOperation } from '../ledger/operation-ledger';
import { LedgerTransitionError, retryAnswer } from '../ledger/operation-transitions';
import type { ClaimBatcher, ClaimOutcome } from '../ledger/claim-batcher';
import type { PrimaryOutcomeBatcher, PrimaryWrote, PrimaryWroteEvent } from '../ledger/primary-outcome-batcher';
import type { DualWriteMetrics } from '../metrics/dual-write-metrics';
import type { ReplayQueue } from '../replay/replay-queue';
import type { KeySync } from '../sync/key-sync';
import type { SyncBatcher } from '../sync/sync-batcher';
import { BackgroundWork } from './background-work';
import { DiffRecorder } from './diff-recorder';
import { SecondarySync } from './secondary-sync';
import { TakenOverWrites } from './taken-over-writes';
import { BackpressureError } from './backpressure-error';
import { DualReader } from './dual-reader';
import type { DualWriteResult, StoreOutcome } from './dual-write-result';
import type { InsertBatcher } from './insert-batcher';
import { OperationPlanner, planResult, type OperationPlan } from './operation-plan';
import { StoreCallObserver, storeOutcome } from './store-call-observer';
import { StoreCaller, type StoreCall } from './store-caller';
import { describeError, settledWithin } from './timed';
import { PrimaryKeyRequiredError, validBatchRows, validCreateRow } from './write-payloads';
import { retryMismatch } from './retry-match';
import { earlierAttemptLanded } from './earlier-attempt';
import { isRefusal, rejectionOf } from './write-refusals';
import { stampTimestamps } from './write-timestamps';

export interface DualWriteEngineOptions {
  /** Store A (the store being left) and store B (the store being moved to; absent = degraded, A only). */
  stores: { a: StorePlugin; b: StorePlugin | null };
  entities: EntityRegistry;
  flags: FlagService;
  ledger: OperationLedger;
  /** Makes the secondary hold the primary's rows for a write's keys (PROTOCOL.md, mechanism 1). */
  keySync: KeySync;
  /** Syncs of concurrent writes of one entity leave together (group commit); absent = one sync per write. */
  syncBatcher?: SyncBatcher;
  replayQueue: ReplayQueue;
  breakers: StoreBreakers;
  diffs: DiffSink;
  diffPolicy: DiffPolicy;
  severityRules?: DiffSeverityRules;
  /** Longest the caller waits for the secondary; its write goes on and settles in the background. Default 0. */
  secondaryTimeoutMs?: number;
  /** Longest a write waits while a flip fences writes, before 503 + Retry-After. Default 10 s. */
  flipHoldMs?: number;
  /** Share of reads shadowed on the secondary in dual modes, 0..1. Default 1. */
  shadowReadRate?: number;
  /** Read from the secondary when the primary is unavailable (result flagged degraded). Default true. */
  readFallbackToSecondary?: boolean;
  /** Group commit for claims; absent = one insert per write. */
  claims?: ClaimBatcher;
  /** Group commit for the ledger update every write waits for (the primary's outcome); absent = one update per write. */
  primaryOutcomes?: PrimaryOutcomeBatcher;
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
 * The dual-write core (PROTOCOL.md): claims each write in the ledger under the flag version it was planned with,
 * writes the primary only, answers with the primary's row, then (dual modes) syncs the secondary from the
 * primary's current rows, queueing what the secondary still owes, and compares what each store holds.
 */
export class DualWriteEngine {
  private readonly secondaryTimeoutMs: number;
  private readonly planner: OperationPlanner;
  private readonly storeCaller: StoreCaller;
  private readonly observer: StoreCallObserver;
  private readonly diffRecorder: DiffRecorder;
  private readonly secondarySync: SecondarySync;
  private readonly takenOver: TakenOverWrites;
  private readonly background: BackgroundWork;
  private readonly reader: DualReader;
  private readonly flipHoldMs: number;

  constructor(private readonly options: DualWriteEngineOptions) {
    this.secondaryTimeoutMs = options.secondaryTimeoutMs ?? 0;
    this.flipHoldMs = options.flipHoldMs ?? 10_000;
    this.planner = new OperationPlanner(options);
    this.storeCaller = new StoreCaller(options);
    this.observer = new StoreCallObserver(options);
    this.diffRecorder = new DiffRecorder(options, this.observer);
    this.secondarySync = new SecondarySync(options, this.observer, this.diffRecorder);
    this.takenOver = new TakenOverWrites(options, this.planner, this.secondarySync);
    this.background = new BackgroundWork(options);
    this.reader = new DualReader(options, {
      planner: this.planner,
      storeCaller: this.storeCaller,
      observer: this.observer,
      diffRecorder: this.diffRecorder,
      background: this.background,
      syncOnItsWay: (entity, key) => this.secondarySync.syncOnItsWay(entity, key),
    });
  }

  /**
   * Waits (at most `timeoutMs`) for the work still running after its callers were answered: secondary syncs
   * to settle in the ledger, comparisons and shadow reads to queue their diffs. For shutdown, before the
   * stores, queues and control pool close. Returns how many were still running when the wait ended.
   */
  async drain(timeoutMs = 10_000): Promise<number> {
    return this.background.drain(timeoutMs);
  }

  // ---- writes ------------------------------------------------------------------------------

  async create(request: WriteRequest, payload: unknown): Promise<DualWriteResult<Row>> {
    const entity = this.options.entities.get(request.entity);
    const valid = validCreateRow(entity, payload, request.opId);
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
    const { rows, keys } = validBatchRows(entity, payloads, request.opId);
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
    for (let attempt = 1; ; attempt += 1) {
      const flags = await this.options.flags.unfenced(this.flipHoldMs);
      const plan = await this.planner.plan(entity, request, `${operation} ${entity.name}`, flags);
      const claim = await this.claim(plan, operation, keys, payload).catch((error: unknown) => {
        if (!(error instanceof FlagsMovedError)) throw error;
        // The flags moved between reading and claiming: read them again (a flip may fence for a moment).
        this.options.flags.invalidate();
        if (attempt >= MAX_CLAIM_ATTEMPTS) {
          throw new StoreUnavailableError('control', `the phase flags kept changing while operation ${plan.opId} was planned; retry shortly`, 'FLIP_IN_PROGRESS');
        }
        return null;
      });
      if (claim === null) continue;
      if (claim.created) return this.run(plan, operation, keys, payload, call, options);
      return this.retried(plan, claim.record, operation, keys, payload, call, options);
    }
  }

  private async claim(plan: OperationPlan, operation: WriteOperation, keys: RowKey[], payload: unknown): Promise<ClaimOutcome> {
    const claims = this.options.claims ?? this.options.ledger;
    try {
      return await claims.claim({
        opId: plan.opId,
        entity: plan.entity.name,
        operation,
        entityIds: keys.map(String),
        payload,
        primaryStore: plan.primary.name,
        secondaryStore: plan.secondary?.name ?? null,
        mode: plan.mode.name,
        flagVersion: plan.flagVersion,
        claimedBy: this.options.flags.processId,
      });
    } catch (error) {
      if (error instanceof FlagsMovedError) throw error;
      // No ledger, no write: a write the ledger cannot record could be lost for the secondary.
      throw new StoreUnavailableError('control', `the operation ledger cannot record the write: ${describeError(error)}`, 'CONTROL_DB', { cause: error });
    }
  }

  /** The claimed operation: the primary only, then (dual modes) the secondary synced from the primary. */
  private async run(
    plan: OperationPlan,
    operation: WriteOperation,
    keys: RowKey[],
    payload: unknown,
    call: StoreCall,
    options: { serialCreate?: boolean; rerun?: boolean },
  ): Promise<DualWriteResult<Row>> {
    const primaryCall = this.storeCaller.tracked(plan.primary, call);
    let primary = await primaryCall.outcome;
    if (!primary.ok && options.rerun) primary = await earlierAttemptLanded(this.storeCaller, plan, operation, keys, primary, payload);
    const primaryOutcome = storeOutcome(plan.primary, 'primary', primary);
    if (!primary.ok) {
      await this.primaryFailed(plan, operation, keys, primary.error, primaryOutcome, primaryCall.settled);
      throw primary.error;
    }
    const row = primary.value as Row;
    const writtenKeys = options.serialCreate ? [primaryKeyOf(plan.entity, row) as RowKey] : keys;
    if (!plan.secondary) {
      await this.primaryWrote(plan, operation, writtenKeys, 'primary_wrote_alone', {
        opId: plan.opId,
        result: row,
        entityIds: writtenKeys.map(String),
        observation: this.observer.observe(plan, 'write', operation, [primaryOutcome]),
      });
      return planResult(plan, row, [primaryOutcome], false, []);
    }
    await this.primaryWrote(plan, operation, writtenKeys, 'primary_wrote', { opId: plan.opId, result: row, entityIds: writtenKeys.map(String) });
    const syncWork = this.secondarySync.sync(plan, operation, writtenKeys, primary, primaryOutcome);
    const settled = await settledWithin(syncWork, this.secondaryTimeoutMs);
    if (settled === undefined) {
      this.background.track(syncWork.then(() => undefined));
      const pending: StoreOutcome = { store: plan.secondary.name, role: 'secondary', status: 'pending', latencyMs: null };
      // With a zero timeout not waiting is the configuration, not news worth a warning.
      const warnings = this.secondaryTimeoutMs > 0 ? [`${plan.secondary.name} still syncing after ${this.secondaryTimeoutMs} ms; the ledger settles it (replayed if it fails)`] : [];
      return planResult(plan, row, [primaryOutcome, pending], false, warnings);
    }
    const outcomes = [primaryOutcome, storeOutcome(plan.secondary, 'secondary', settled)];
    const warnings = settled.ok ? settled.warnings : [`${plan.secondary.name} failed: ${describeError(settled.error)}; queued for replay`, ...settled.warnings];
    return planResult(plan, row, outcomes, !settled.ok, warnings);
  }

  /** Records the primary's write; the caller is answered once it is in the ledger (grouped when configured). */
  private async primaryWrote(plan: OperationPlan, operation: WriteOperation, keys: RowKey[], event: PrimaryWroteEvent, wrote: PrimaryWrote): Promise<void> {
    try {
      if (this.options.primaryOutcomes) await this.options.primaryOutcomes.record(event, wrote);
      else await this.options.ledger.transition(wrote.opId, event, wrote);
    } catch (error) {
      if (!(error instanceof LedgerTransitionError)) throw error;
      throw await this.takenOver.landed(plan, operation, keys, error);
    }
  }

  /**
   * The primary did not write. Refused (not found, conflict, invalid) → rejected: nothing holds it. Unavailable
   * (unreachable, timed out, breaker open) → it may still have written: the keys are queued for a sync so the
   * stores agree either way, and a retry runs the write again.
   */
  private async primaryFailed(
    plan: OperationPlan,
    operation: WriteOperation,
    keys: RowKey[],
    error: unknown,
    outcome: StoreOutcome,
    callSettled: Promise<void>,
  ): Promise<void> {
    const observation = this.observer.observe(plan, 'write', operation, [outcome]);
    if (isRefusal(error)) {
      await this.options.ledger.transition(plan.opId, 'primary_rejected', { lastError: error, observation });
      return;
    }
    if (isBreakerOpenError(error) || error instanceof BackpressureError || !plan.secondary) {
      // Never sent (breaker open, queue full), or no secondary to converge: nothing can differ because of it.
      await this.options.ledger.transition(plan.opId, 'primary_unavailable', { lastError: error, observation });
      await this.options.ledger.transition(plan.opId, 'secondary_synced', {});
      return;
    }
    // The caller is told now; the ledger only once the call given up on has landed or failed for good (the
    // store's own bound). Until then the operation stays pending, so a retry meanwhile is told to retry shortly
    // instead of running the write again beside a first attempt that may still land; then its keys are synced.
    this.background.track(
      callSettled.then(async () => {
        await this.options.ledger.transition(plan.opId, 'primary_unavailable', { lastError: error, observation });
        await this.secondarySync.enqueueReplay(plan.opId);
      }),
    );
  }

  /** A retried opId (PROTOCOL.md, Retries): the first answer, the same refusal, or the write run again. */
  private async retried(
    plan: OperationPlan,
    record: OperationRecord,
    operation: WriteOperation,
    keys: RowKey[],
    payload: unknown,
    call: StoreCall,
    options: { serialCreate?: boolean },
  ): Promise<DualWriteResult<Row>> {
    const mismatch = retryMismatch(record, { entity: plan.entity, operation, keys, payload });
    if (mismatch) throw new ContractViolationError(plan.entity.name, [{ path: 'Idempotency-Key', message: `${mismatch}: a retry must repeat the same write` }]);
    const status = record.status;
    switch (retryAnswer(status, record.result !== null)) {
      case 'first_answer':
        return planResult(plan, record.result as Row, [], status !== 'applied', [`operation ${plan.opId} was already applied; returning its first answer`]);
      case 'in_progress':
        throw new StoreUnavailableError(plan.primary.name, `operation ${plan.opId} is still in progress; retry shortly`, 'IN_PROGRESS');
      case 'same_refusal':
        throw rejectionOf(plan, record.lastError);
      case 'run_again':
        await this.options.ledger.reclaim({
          opId: plan.opId,
          payload,
          entityIds: keys.map(String),
          primaryStore: plan.primary.name,
          secondaryStore: plan.secondary?.name ?? null,
          mode: plan.mode.name,
          flagVersion: plan.flagVersion,
          claimedBy: this.options.flags.processId,
        });
        return this.run(plan, operation, keys, payload, call, { ...options, rerun: true });
      default:
        throw new LedgerTransitionError(plan.opId, status, 'retried');
    }
  }
}

/** Claims refused because the flags moved meanwhile are planned again this often before the caller is told. */
const MAX_CLAIM_ATTEMPTS = 3;
