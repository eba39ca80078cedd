import { AsyncLocalStorage } from 'node:async_hooks';
import type fc from 'fast-check';
import { StoreUnavailableError, type EntityDefinition, type RowKey, type StorePlugin } from '@dualwrite/stores';
import { StoreBreakers, type StoreBreakersOptions } from '../../src/breakers/store-breakers';
import { OperationLedger, type UnsettledOperations } from '../../src/ledger/operation-ledger';
import { KeySync, type KeySyncOptions, type SyncReport, type SyncedWrite } from '../../src/sync/key-sync';

/** Who makes a store call: the command of the program, and the write attempt or sync it belongs to. */
export interface CallContext {
  /** Stable name of the command (and attempt): the scheduler's labels start with it. */
  label: string;
  /** `write`: the engine's own call to the primary; `sync`: KeySync (engine, replay or sweep); `other`. */
  role: 'write' | 'sync' | 'other';
  /** Calls made so far in this context: numbers the labels. */
  calls: number;
  process: string;
  opId?: string;
  /** The write's value tag (the row's name or body). */
  tag?: string;
  entity?: string;
  key?: RowKey;
  /** The store the write's primary call went to (set by the gate). */
  primaryStore?: string;
  /** The caller is about to be answered (primary_done written): the driver waits for it. */
  onPrimaryDone?: () => void;
}

export const callContext = new AsyncLocalStorage<CallContext>();

export function nextLabel(what: string): string {
  const context = callContext.getStore();
  if (!context) return `(no context) ${what}`;
  context.calls += 1;
  return `${context.label} #${context.calls} ${what}`;
}

/**
 * The scheduler's gates: a call waiting here is handed to fast-check's scheduler when the driver flushes, in the
 * order of its label, so the scheduler's list (and so its choices for a seed) never depends on which PostgreSQL
 * answer arrived first.
 */
export class GateHub {
  private pending: { label: string; release: () => void }[] = [];

  constructor(private readonly scheduler: fc.Scheduler) {}

  wait(label: string): Promise<void> {
    return new Promise((release) => this.pending.push({ label, release }));
  }

  flush(): void {
    const pending = this.pending.sort((x, y) => (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
    this.pending = [];
    for (const { label, release } of pending) void this.scheduler.schedule(Promise.resolve(), label).then(release);
  }

  waiting(): number {
    return this.pending.length + this.scheduler.count();
  }
}

/**
 * The real breakers, with the call timeout in the scheduler's hands: while a store is `slow`, each call also
 * waits for a scheduled timeout; released first, the caller gets the breaker's timeout error (counted as a
 * failure) while the call goes on and may land later, as a call given up by the real timeout does.
 */
export class ScheduledTimeoutBreakers extends StoreBreakers {
  constructor(
    private readonly hub: GateHub,
    private readonly isSlow: (store: string) => boolean,
    options: StoreBreakersOptions,
  ) {
    super(options);
  }

  override async execute<T>(store: string, fn: (signal: AbortSignal) => PromiseLike<T> | T): Promise<T> {
    if (!this.isSlow(store)) return super.execute(store, fn);
    return super.execute(store, (signal) => {
      const call = Promise.resolve(fn(signal));
      const timeout = this.hub.wait(nextLabel(`${store} timeout`)).then((): never => {
        throw new StoreUnavailableError(store, 'did not answer within the call timeout (released by the scheduler); the call was given up', 'CALL_TIMEOUT');
      });
      return Promise.race([call, timeout]);
    });
  }
}

/**
 * KeySync with its calls marked as sync calls (what the checks need to tell them from the primary write), reporting
 * the writes its syncs settled as applied.
 */
export class TaggedKeySync extends KeySync {
  constructor(
    options: KeySyncOptions,
    private readonly onApplied: (opId: string) => void = () => undefined,
    private readonly onGrouped: () => void = () => undefined,
  ) {
    super(options);
  }

  override async sync(entity: EntityDefinition, keys: RowKey[], source: StorePlugin, target: StorePlugin, writes: SyncedWrite[] = []): Promise<SyncReport> {
    const parent = callContext.getStore();
    const context: CallContext = parent ? { ...parent, label: `${parent.label} sync`, role: 'sync', calls: 0 } : { label: 'sync', role: 'sync', calls: 0, process: '?' };
    if (writes.length > 1) this.onGrouped();
    const report = await callContext.run(context, () => super.sync(entity, keys, source, target, writes));
    for (const [opId, status] of report.settled) if (status === 'applied') this.onApplied(opId);
    return report;
  }
}

/** The flip barrier's look at the ledger, released by the scheduler (its timing is an interleaving like any other). */
export class ScheduledBarrierLedger extends OperationLedger {
  constructor(
    pool: ConstructorParameters<typeof OperationLedger>[0],
    private readonly hub: GateHub,
  ) {
    super(pool);
  }

  override async unsettledBefore(version: number, sampleSize?: number): Promise<UnsettledOperations> {
    await this.hub.wait(nextLabel('barrier looks at the ledger'));
    return super.unsettledBefore(version, sampleSize);
  }
}
