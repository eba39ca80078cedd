import { Pool, type PoolClient } from 'pg';
import type { EntityRegistry, StorePlugin } from '@dualwrite/stores';
import type { InMemoryStore } from '@dualwrite/stores/testing';
import { DiffPolicy } from '../../src/compare/diff-policy';
import type { DiffRecord, DiffSink } from '../../src/diffs/diff-record';
import { DualWriteEngine } from '../../src/engine/dual-write-engine';
import { FlagRepository } from '../../src/flags/flag-repository';
import { FlagService } from '../../src/flags/flag-service';
import { OperationLedger, type NewOperation, type OperationRecord, type Reclaim, type TransitionFields } from '../../src/ledger/operation-ledger';
import type { OperationEvent, OperationStatus } from '../../src/ledger/operation-transitions';
import { ReplayProcessor } from '../../src/replay/replay-processor';
import { ClaimBatcher, type ClaimOutcome } from '../../src/ledger/claim-batcher';
import { PrimaryOutcomeBatcher, type PrimaryWrote, type PrimaryWroteEvent } from '../../src/ledger/primary-outcome-batcher';
import { SyncBatcher } from '../../src/sync/sync-batcher';
import type { ReplayQueue } from '../../src/replay/replay-queue';
import { IoTracker, trackedPool, type PoolOwner } from './io-tracker';
import { GateHub, ScheduledTimeoutBreakers, TaggedKeySync, callContext } from './scheduled-gates';

/** What every simulated process shares: the stores, the queue, the scheduler's gates and the I/O tracker. */
export interface SharedParts {
  controlUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  tracker: IoTracker;
  hub: GateHub;
  entities: EntityRegistry;
  stores: { a: InMemoryStore; b: InMemoryStore };
  replayQueue: ReplayQueue;
  isSlow: (store: string) => boolean;
  onApplied: (opId: string) => void;
  /** The process claimed (or re-claimed, for a retry) the operation: it is the one writing it now. */
  onClaimed: (opId: string, process: SimProcess) => void;
  diffs: DiffRecord[];
  /** Primary writes sent and not settled yet, by opId (the sweep finds an unknown write only once they have). */
  writesInFlight: Map<string, number>;
  /**
   * Present: the engine as the api module builds it, claims, the primary's outcomes and syncs grouped (ClaimBatcher,
   * PrimaryOutcomeBatcher, SyncBatcher), told when a sync settled several writes at once. Insert batching is left
   * out: one store call would then carry the writes of several operations, and the sweep's timing assumption counts
   * a primary call per operation. Null: each write alone.
   */
  groupCommit: { onGroupedSync: () => void } | null;
}

/** Replays never dead-letter within a run (a dead operation is an operator's decision, not an interleaving). */
const REPLAY_ATTEMPTS = 1_000;

/** The ledger of one process: the same statements, with the moments the checks and the driver need reported. */
class ProcessLedger extends OperationLedger {
  constructor(
    pool: Pool,
    private readonly onApplied: (opId: string) => void,
    private readonly onClaimed: (opId: string) => void,
  ) {
    super(pool);
  }

  override async claim(operation: NewOperation): Promise<{ created: boolean; record: OperationRecord }> {
    const claimed = await super.claim(operation);
    if (claimed.created) this.onClaimed(operation.opId);
    return claimed;
  }

  override async reclaim(retry: Reclaim): Promise<OperationRecord> {
    const record = await super.reclaim(retry);
    this.onClaimed(retry.opId);
    return record;
  }

  override async transition(opId: string, event: OperationEvent, fields?: TransitionFields): Promise<OperationStatus> {
    const status = await super.transition(opId, event, fields);
    if (event === 'primary_wrote') callContext.getStore()?.onPrimaryDone?.();
    if (status === 'applied') this.onApplied(opId);
    return status;
  }
}

/** ClaimBatcher reporting the claims its grouped insert took, as ProcessLedger reports its own. */
class ReportingClaimBatcher extends ClaimBatcher {
  constructor(
    pool: Pool,
    ledger: OperationLedger,
    private readonly onClaimed: (opId: string) => void,
  ) {
    super(pool, ledger);
  }

  override async claim(operation: NewOperation): Promise<ClaimOutcome> {
    const outcome = await super.claim(operation);
    if (outcome.created) this.onClaimed(operation.opId);
    return outcome;
  }
}

/** PrimaryOutcomeBatcher reporting the moments ProcessLedger reports for a transition of its own. */
class ReportingPrimaryOutcomeBatcher extends PrimaryOutcomeBatcher {
  constructor(
    pool: Pool,
    ledger: OperationLedger,
    private readonly onApplied: (opId: string) => void,
  ) {
    super(pool, ledger);
  }

  override async record(event: PrimaryWroteEvent, wrote: PrimaryWrote): Promise<OperationStatus> {
    const status = await super.record(event, wrote);
    if (event === 'primary_wrote') callContext.getStore()?.onPrimaryDone?.();
    if (status === 'applied') this.onApplied(wrote.opId);
    return status;
  }
}

/**
 * One simulated process (an api process with its engine, or the worker): its own PostgreSQL sessions (its own
 * pool, so a crash ends them and frees their advisory locks), flags cache, breakers and views of the stores and
 * the queue. Once stopped, nothing it does reaches PostgreSQL, Redis or a store, and no answer reaches it,
 * while the calls it had sent go on and may land.
 */
export class SimProcess implements PoolOwner {
  readonly pool: Pool;
  readonly ledger: OperationLedger;
  readonly breakers: ScheduledTimeoutBreakers;
  readonly keySync: TaggedKeySync;
  readonly flags: FlagService;
  readonly storeA: StorePlugin;
  readonly storeB: StorePlugin;
  readonly replayQueue: ReplayQueue;
  readonly engine: DualWriteEngine | null;
  readonly processor: ReplayProcessor | null;
  /** Store calls this process sent that have not settled on the store yet (they may land after a crash). */
  inFlight = 0;
  private stopped: Error | null = null;
  private readonly clients = new Set<PoolClient>();
  private rejectStopped: (error: Error) => void = () => undefined;
  private readonly stoppedSignal: Promise<never>;

  constructor(
    readonly name: string,
    kind: 'api' | 'worker',
    private readonly rawPool: Pool,
    private readonly applicationName: string,
    private readonly shared: SharedParts,
  ) {
    this.stoppedSignal = new Promise<never>((_resolve, reject) => {
      this.rejectStopped = reject;
    });
    this.stoppedSignal.catch(() => undefined);
    this.pool = trackedPool(rawPool, shared.tracker, this, this.clients);
    this.ledger = new ProcessLedger(this.pool, shared.onApplied, (opId) => shared.onClaimed(opId, this));
    this.breakers = new ScheduledTimeoutBreakers(shared.hub, shared.isSlow, {
      stores: ['prisma', 'supabase'],
      // The scheduler decides when a call times out (ScheduledTimeoutBreakers); the real timer never fires.
      settings: { callTimeoutMs: 3_600_000 },
    });
    this.keySync = new TaggedKeySync(
      { pool: this.pool, ledger: this.ledger, guard: (store, call) => this.breakers.execute(store.name, () => call()) },
      shared.onApplied,
      shared.groupCommit?.onGroupedSync,
    );
    // api processes trust their cached flags until they learn of a change (a refused claim, a fence, `refresh`);
    // the worker reads them fresh. Neither subscribes to Redis: when a process hears of a change is the program's choice.
    this.flags = new FlagService(new FlagRepository(this.pool), {
      redisUrl: shared.redisUrl,
      redisKeyPrefix: shared.redisKeyPrefix,
      cacheTtlMs: kind === 'api' ? 3_600_000 : 0,
    });
    this.storeA = this.view(shared.stores.a);
    this.storeB = this.view(shared.stores.b);
    this.replayQueue = queueView(shared.replayQueue, shared.tracker, this);
    this.engine = kind === 'api' ? this.buildEngine() : null;
    this.processor = kind === 'worker' ? this.buildProcessor() : null;
  }

  stoppedError(): Error | null {
    return this.stopped;
  }

  get crashed(): boolean {
    return this.stopped !== null;
  }

  /** Stops the process: PostgreSQL ends its sessions (its advisory locks are free at once). */
  async crash(admin: Pool): Promise<void> {
    this.stopped = new Error(`process ${this.name} stopped`);
    this.rejectStopped(this.stopped);
    await this.shared.tracker.track(() =>
      admin.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = $1', [this.applicationName]),
    );
    for (const client of this.clients) this.shared.tracker.sessionEnded(client);
  }

  /** After the run: its flags' Redis clients (never connected) and, for a crashed process, its pool. */
  async close(): Promise<void> {
    await this.flags.close();
    if (this.crashed) await this.rawPool.end().catch(() => undefined);
  }

  private buildEngine(): DualWriteEngine {
    const diffs = this.shared.diffs;
    const sink: DiffSink = { record: async (diff) => void diffs.push(diff) };
    return new DualWriteEngine({
      stores: { a: this.storeA, b: this.storeB },
      entities: this.shared.entities,
      flags: this.flags,
      ledger: this.ledger,
      keySync: this.keySync,
      replayQueue: this.replayQueue,
      breakers: this.breakers,
      diffs: sink,
      diffPolicy: new DiffPolicy(),
      // The caller is answered once the primary wrote (the protocol's earliest answer).
      secondaryTimeoutMs: 0,
      // A fenced flip answers 503 at once: no timer decides when a held write goes on.
      flipHoldMs: 0,
      onWarning: () => undefined,
      ...(this.shared.groupCommit
        ? {
            claims: new ReportingClaimBatcher(this.pool, this.ledger, (opId) => this.shared.onClaimed(opId, this)),
            primaryOutcomes: new ReportingPrimaryOutcomeBatcher(this.pool, this.ledger, this.shared.onApplied),
            syncBatcher: new SyncBatcher(this.keySync, { batchesInFlight: 1 }),
          }
        : {}),
    });
  }

  private buildProcessor(): ReplayProcessor {
    return new ReplayProcessor({
      ledger: this.ledger,
      entities: this.shared.entities,
      stores: new Map([
        [this.storeA.name, this.storeA],
        [this.storeB.name, this.storeB],
      ]),
      keySync: this.keySync,
      maxAttempts: REPLAY_ATTEMPTS,
    });
  }

  /** The store as this process reaches it: nothing is sent once stopped, no answer arrives after. */
  private view(store: InMemoryStore): StorePlugin {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (property === 'stream' || property === 'close') return method.bind(target);
        return (...args: unknown[]) => {
          if (this.stopped) return Promise.reject(this.stopped);
          this.inFlight += 1;
          const context = callContext.getStore();
          const opId = context?.role === 'write' ? context.opId : undefined;
          const writes = this.shared.writesInFlight;
          if (opId) writes.set(opId, (writes.get(opId) ?? 0) + 1);
          const call = (method.apply(target, args) as Promise<unknown>).finally(() => {
            this.inFlight -= 1;
            if (opId) writes.set(opId, (writes.get(opId) ?? 1) - 1);
          });
          return Promise.race([call, this.stoppedSignal]);
        };
      },
    });
  }
}

/** A pool of one simulated process, named so a crash can end exactly its sessions. */
/** The replay queue as a process reaches it: each enqueue tracked, none sent once the process stopped. */
export function queueView(queue: ReplayQueue, tracker: IoTracker, owner: PoolOwner | null): ReplayQueue {
  return new Proxy(queue, {
    get(target, property, receiver) {
      if (property === 'enqueue') {
        return (opId: string) => {
          const stopped = owner?.stoppedError();
          if (stopped) return Promise.reject(stopped);
          return tracker.track(() => target.enqueue(opId));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

export function processPool(controlUrl: string, applicationName: string): Pool {
  const pool = new Pool({ connectionString: controlUrl, max: 6, application_name: applicationName });
  pool.on('error', () => undefined);
  return pool;
}
