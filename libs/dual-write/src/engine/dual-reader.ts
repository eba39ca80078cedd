import { StoreUnavailableError, isStoreError } from '@dualwrite/stores';
import type { EntityDefinition, EntityRegistry, Page, PageRequest, Row, RowKey, StorePlugin } from '@dualwrite/stores';
import type { BackgroundWork } from './background-work';
import type { DiffRecorder } from './diff-recorder';
import type { DualWriteResult } from './dual-write-result';
import { planResult, type OperationPlan, type OperationPlanner } from './operation-plan';
import { storeOutcome, type StoreCallObserver } from './store-call-observer';
import type { StoreCall, StoreCaller } from './store-caller';
import { describeError, type Timed } from './timed';

export interface DualReaderOptions {
  entities: EntityRegistry;
  /** Share of reads shadowed on the secondary in dual modes, 0..1. Default 1. */
  shadowReadRate?: number;
  /** Read from the secondary when the primary is unavailable (result flagged degraded). Default true. */
  readFallbackToSecondary?: boolean;
  random?: () => number;
}

/** What the reader shares with the write path: planning, store calls, metrics, diffs, background work. */
export interface DualReaderParts {
  planner: OperationPlanner;
  storeCaller: StoreCaller;
  observer: StoreCallObserver;
  diffRecorder: DiffRecorder;
  background: BackgroundWork;
  /** The key's secondary sync this process has on its way, if any (SecondarySync.syncOnItsWay). */
  syncOnItsWay?: (entity: string, key: RowKey) => Promise<void> | undefined;
}

/**
 * Reads from the primary; in dual modes a share of reads is repeated on the secondary in the background and
 * the answers compared. When the primary is unavailable the secondary answers (flagged degraded).
 */
export class DualReader {
  private readonly shadowReadRate: number;
  private readonly random: () => number;

  constructor(
    private readonly options: DualReaderOptions,
    private readonly parts: DualReaderParts,
  ) {
    this.shadowReadRate = options.shadowReadRate ?? 1;
    this.random = options.random ?? Math.random;
  }

  async find(entityName: string, key: RowKey, endpoint = `find ${entityName}`): Promise<DualWriteResult<Row | null>> {
    const entity = this.options.entities.get(entityName);
    return this.read(entity, endpoint, key, (store) => store.get(entity, key), undefined, 'find');
  }

  async findMany(entityName: string, keys: RowKey[], endpoint = `findMany ${entityName}`): Promise<DualWriteResult<Row[]>> {
    const entity = this.options.entities.get(entityName);
    return this.read(entity, endpoint, keys.length === 1 ? keys[0] ?? null : null, (store) => store.findManyByIds(entity, keys), undefined, 'findMany');
  }

  /** One keyset page from the primary (shadow-compared row by row in dual modes). */
  async page(entityName: string, request: PageRequest, endpoint = `page ${entityName}`): Promise<DualWriteResult<Page>> {
    const entity = this.options.entities.get(entityName);
    return this.read(entity, endpoint, null, (store) => store.page(entity, request), (page) => page.rows, 'page');
  }

  private async read<T>(
    entity: EntityDefinition,
    endpoint: string,
    entityId: RowKey | null,
    call: StoreCall<T>,
    comparable: (value: T) => unknown = (value) => value,
    operation = 'read',
  ): Promise<DualWriteResult<T>> {
    const { planner, storeCaller, observer, background } = this.parts;
    const plan = await planner.plan(entity, { endpoint }, endpoint);
    const primary = await storeCaller.call(plan.primary, call);
    if (primary.ok) {
      if (plan.secondary && this.random() < this.shadowReadRate) background.track(this.shadowRead(plan, operation, entityId, primary, call, comparable));
      const outcomes = [storeOutcome(plan.primary, 'primary', primary)];
      observer.observe(plan, 'read', operation, outcomes);
      return planResult(plan, primary.value, outcomes, false, []);
    }
    const fallbackAllowed = (this.options.readFallbackToSecondary ?? true) && plan.secondary && isUnavailable(primary.error);
    if (!fallbackAllowed || !plan.secondary) {
      observer.observe(plan, 'read', operation, [storeOutcome(plan.primary, 'primary', primary)]);
      throw primary.error;
    }
    const secondary = await storeCaller.call(plan.secondary, call);
    const outcomes = [storeOutcome(plan.primary, 'primary', primary), storeOutcome(plan.secondary, 'secondary', secondary)];
    observer.observe(plan, 'read', operation, outcomes);
    if (!secondary.ok) throw bothDown(plan, primary.error, secondary.error);
    const warning = `${plan.primary.name} unavailable (${describeError(primary.error)}); answered from ${plan.secondary.name}`;
    return { ...planResult(plan, secondary.value, outcomes, false, [warning]), degraded: true };
  }

  private async shadowRead<T>(
    plan: OperationPlan,
    operation: string,
    entityId: RowKey | null,
    primary: Timed<T> & { ok: true },
    call: StoreCall<T>,
    comparable: (value: T) => unknown,
  ): Promise<void> {
    // A key this process is still syncing would differ until its sync lands: compare once it has.
    if (entityId !== null) await this.parts.syncOnItsWay?.(plan.entity.name, entityId);
    const secondary = await this.parts.storeCaller.call(plan.secondary as StorePlugin, call);
    this.parts.observer.observe(plan, 'read', operation, [storeOutcome(plan.secondary as StorePlugin, 'secondary', secondary)]);
    if (!secondary.ok) return;
    await this.parts.diffRecorder.compareAndRecord(plan, 'read', entityId, { ...primary, value: comparable(primary.value) }, { ...secondary, value: comparable(secondary.value) });
  }
}

function isUnavailable(error: unknown): boolean {
  return isStoreError(error) ? error.kind === 'unavailable' : true;
}

/** Both stores unavailable: one error the API turns into 503 with Retry-After. */
function bothDown(plan: OperationPlan, primaryError: unknown, secondaryError: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `${plan.primary.name}+${(plan.secondary as StorePlugin).name}`,
    `both stores are unavailable: ${describeError(primaryError)}; ${describeError(secondaryError)}`,
    'BOTH_DOWN',
  );
}
