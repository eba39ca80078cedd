import type { Row, RowKey, StorePlugin } from '@dualwrite/stores';
import type { DualWriteEngineOptions } from './dual-write-engine';
import type { WriteOperation } from '../ledger/operation-ledger';
import { LedgerTransitionError } from '../ledger/operation-transitions';
import type { KeySync, SyncReport, SyncedWrite } from '../sync/key-sync';
import type { DiffRecorder } from './diff-recorder';
import type { StoreOutcome } from './dual-write-result';
import type { OperationPlan } from './operation-plan';
import { storeOutcome, type StoreCallObserver } from './store-call-observer';
import { describeError, timed, type Timed } from './timed';

type SecondarySyncOptions = Pick<DualWriteEngineOptions, 'keySync' | 'syncBatcher' | 'ledger' | 'replayQueue' | 'onWarning'>;

/**
 * A write's second half in dual modes (PROTOCOL.md, step 6): the secondary made to hold the primary's rows for the
 * write's keys, the write settled in the ledger with that sync (or owed and queued for replay), and what each store
 * now holds compared.
 */
export class SecondarySync {
  /** The newest sync this process has on its way, by entity and key. */
  private readonly onTheirWay = new Map<string, Promise<unknown>>();

  constructor(
    private readonly options: SecondarySyncOptions,
    private readonly observer: StoreCallObserver,
    private readonly diffRecorder: DiffRecorder,
  ) {}

  /**
   * Makes the secondary hold the primary's current rows for the keys (KeySync) and records how it ended: applied,
   * or owed and queued for replay. Never rejects: a failure to record is left to the ledger sweep.
   */
  async sync(
    plan: OperationPlan,
    operation: WriteOperation,
    keys: RowKey[],
    primary: Timed<unknown> & { ok: true },
    primaryOutcome: StoreOutcome,
  ): Promise<Timed<SyncReport> & { warnings: string[] }> {
    const secondaryStore = plan.secondary as StorePlugin;
    // A write of one key is settled by its sync, in the sync's transaction; a write of many keys once all are synced.
    const write = keys.length === 1 ? this.syncedWrite(plan, operation, keys[0] as RowKey, primary.value as Row, primaryOutcome) : undefined;
    const syncing = timed(() => this.syncer.sync(plan.entity, keys, plan.primary, secondaryStore, write ? [write] : []));
    const ids = keys.map((key) => keyId(plan.entity.name, key));
    for (const id of ids) this.onTheirWay.set(id, syncing);
    const synced = await syncing;
    for (const id of ids) if (this.onTheirWay.get(id) === syncing) this.onTheirWay.delete(id);
    const warnings: string[] = [];
    const observation = this.observer.observe(plan, 'write', operation, [primaryOutcome, storeOutcome(secondaryStore, 'secondary', synced)]);
    try {
      if (!synced.ok) {
        await this.options.ledger.transition(plan.opId, 'secondary_failed', { lastError: synced.error, observation });
        const notQueued = await this.enqueueReplay(plan.opId);
        if (notQueued) warnings.push(notQueued);
        return { ...synced, warnings };
      }
      if (!write) await this.options.ledger.transition(plan.opId, 'secondary_synced', { lastError: null, observation });
      else if (!synced.value.settled.get(plan.opId)) {
        const current = await this.options.ledger.get(plan.opId);
        throw new LedgerTransitionError(plan.opId, current?.status ?? 'missing', 'secondary_synced');
      }
      await this.recordSync(plan, operation, primary, synced);
    } catch (error) {
      this.options.onWarning?.(`operation ${plan.opId} could not be settled (${describeError(error)}); the ledger sweep replays it`);
    }
    return { ...synced, warnings };
  }

  /**
   * Makes the keys on the secondary equal to the primary with no operation to settle: for a write whose operation
   * the ledger sweep took over while this process did not report. Resolves whether it succeeded.
   */
  async resync(plan: OperationPlan, keys: RowKey[]): Promise<Timed<SyncReport>> {
    return timed(() => this.syncer.sync(plan.entity, keys, plan.primary, plan.secondary as StorePlugin, []));
  }

  /**
   * Makes the keys on the store a flip made the secondary equal to the new primary again, after a write that
   * landed there late (its caller was told to retry): `created` when that write created the keys, so a row the
   * new primary lacks is the late write's alone and is deleted.
   */
  async undoLanded(now: OperationPlan, keys: RowKey[], created: boolean): Promise<Timed<SyncReport>> {
    const roles = { flagsPrimary: now.mode.primary, strays: created ? keys : [] };
    return timed(() => this.options.keySync.sync(now.entity, keys, now.primary, now.secondary as StorePlugin, [], roles));
  }

  /** The sync primitive, batched when the engine is built with a SyncBatcher. */
  private get syncer(): Pick<KeySync, 'sync'> {
    return this.options.syncBatcher ?? this.options.keySync;
  }

  /**
   * Resolves once the newest sync of the key this process started has settled; undefined when none is on its way.
   * A shadow read waits for it, so a read right after a write does not compare the secondary before its sync.
   */
  syncOnItsWay(entity: string, key: RowKey): Promise<void> | undefined {
    return this.onTheirWay.get(keyId(entity, key))?.then(
      () => undefined,
      () => undefined,
    );
  }

  /** The write a sync settles: a create's answer may stand in for reading the primary again (KeySync). */
  private syncedWrite(plan: OperationPlan, operation: WriteOperation, key: RowKey, row: Row, primaryOutcome: StoreOutcome): SyncedWrite {
    const started = performance.now();
    const store = (plan.secondary as StorePlugin).name;
    return {
      opId: plan.opId,
      created: operation === 'create' ? { key, row } : undefined,
      observation: () =>
        this.observer.observation(plan, [primaryOutcome, { store, role: 'secondary', status: 'ok', latencyMs: Math.round(performance.now() - started) }]),
    };
  }

  /** Keys the sync had to leave (no delete proof) are error diffs; copied rows are compared with the primary's. */
  private async recordSync(plan: OperationPlan, operation: WriteOperation, primary: Timed<unknown> & { ok: true }, synced: Timed<SyncReport> & { ok: true }): Promise<void> {
    for (const left of synced.value.left) {
      await this.diffRecorder.record(plan, operation, left.key, 'error', [
        { path: '$', kind: 'missing_in_primary', field: plan.entity.primaryKey, primary: null, secondary: String(left.key) },
      ], primary.latencyMs, synced.latencyMs);
      this.options.onWarning?.(left.reason);
    }
    const [copied] = synced.value.copied;
    if (synced.value.copied.length === 1 && copied?.target) {
      const sourceRow = operation === 'delete' ? null : copied.source;
      await this.diffRecorder.compareWrite(plan, operation, [copied.key], { ...primary, value: sourceRow ?? primary.value }, { ok: true, value: copied.target, latencyMs: synced.latencyMs });
    }
  }

  /**
   * Queues the sync of an owed operation; the ledger keeps it (and the sweep queues it) if Redis is away.
   * Returns the warning when it could not be queued.
   */
  async enqueueReplay(opId: string): Promise<string | null> {
    try {
      await this.options.replayQueue.enqueue(opId);
      return null;
    } catch (error) {
      const message = `replay of ${opId} kept in the ledger only (queue unreachable: ${describeError(error)}); the worker's ledger sweep will queue it`;
      this.options.onWarning?.(message);
      return message;
    }
  }
}

function keyId(entity: string, key: RowKey): string {
  return `${entity}\u0000${String(key)}`;
}
