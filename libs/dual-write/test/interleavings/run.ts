import { createHash } from 'node:crypto';
import type fc from 'fast-check';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { type RowKey } from '@dualwrite/stores';
import { InMemoryStore, contractItems, contractNotes } from '@dualwrite/stores/testing';
import type { DiffRecord } from '../../src/diffs/diff-record';
import type { DualWriteEngine } from '../../src/engine/dual-write-engine';
import { FlagRepository } from '../../src/flags/flag-repository';
import { FlagService } from '../../src/flags/flag-service';
import { FlagSwitcher, FlipRefusedError } from '../../src/flags/flag-switcher';
import { ProcessRegistry } from '../../src/flags/process-registry';
import { OperationLedger } from '../../src/ledger/operation-ledger';
import { requeueOwedOperations } from '../../src/replay/ledger-sweep';
import { History, errorKind, type Attempt } from './history';
import { IoTracker, trackedPool } from './io-tracker';
import { describeCommand, retriedWrite, type Command, type FaultMode, type Program, type WriteCommand } from './program';
import { GateHub, ScheduledBarrierLedger, callContext, nextLabel, type CallContext } from './scheduled-gates';
import { SimProcess, queueView, type SharedParts } from './sim-process';

import { ITEM_IDS, callEngine, fixtureStore, seedFixtures } from './fixtures';
import type { RunStats } from './run-stats';
import { finalChecks } from './final-checks';
import type { InterleavingWorld } from './world';

/** Releases of scheduled calls one run may take before it is called stuck. */
const MAX_STEPS = 3_000;
/** How long the system may stay busy (PostgreSQL, Redis) between two releases before the run is called stuck. */
const MAX_BUSY_MS = 5_000;
const DRAIN_ROUNDS = 6;
const OPEN_STATUSES = ['pending', 'primary_done', 'secondary_pending', 'primary_unavailable'];


/** One run: its stores, processes, history and the driver that releases the scheduler's tasks. */
export class Run {
  private readonly tracker = new IoTracker();
  private readonly hub: GateHub;
  private readonly history = new History();
  private readonly stores: { a: InMemoryStore; b: InMemoryStore };
  private readonly shared: SharedParts;
  private readonly api: SimProcess[];
  private readonly worker: SimProcess;
  private readonly stopped: SimProcess[] = [];
  private readonly control: Pool;
  private readonly controlLedger: OperationLedger;
  private readonly operatorFlags: FlagService;
  private readonly switcher: FlagSwitcher;
  private readonly owners = new Map<string, SimProcess>();
  private readonly opIds: string[];
  private readonly faults: Record<string, FaultMode> = { prisma: 'up', supabase: 'up' };
  private readonly replaying = new Set<string>();
  private readonly writesInFlight = new Map<string, number>();
  private readonly diffs: DiffRecord[] = [];
  private readonly parts: ReturnType<InterleavingWorld['parts']>;
  private flipping = false;
  private steps = 0;
  /** The first error a command threw (an invariant checked when a caller is answered, or a harness error). */
  private failure: unknown = undefined;
  private readonly stats = { flips: 0, flipsRefused: 0, crashes: 0, knownLimitRows: 0, crashWindows: 0, groupedSyncs: 0 };
  /** Keys on which a crashed process's sync call landed late: I3 is not checked there until the end (known limit). */
  private readonly crashWindows = new Set<string>();

  constructor(
    private readonly world: InterleavingWorld,
    private readonly program: Program,
    private readonly scheduler: fc.Scheduler,
  ) {
    this.parts = world.parts();
    this.hub = new GateHub(scheduler);
    this.stores = { a: fixtureStore('prisma'), b: fixtureStore('supabase') };
    this.opIds = program.commands.map(() => uuidv7());
    this.shared = {
      controlUrl: this.parts.controlUrl,
      redisUrl: this.parts.redisUrl,
      redisKeyPrefix: this.parts.redisKeyPrefix,
      tracker: this.tracker,
      hub: this.hub,
      entities: this.parts.entities,
      stores: this.stores,
      replayQueue: this.parts.replayQueue,
      isSlow: (store) => this.faults[store] === 'slow',
      onApplied: (opId) => this.history.applied.add(opId),
      onClaimed: (opId, process) => this.owners.set(opId, process),
      diffs: this.diffs,
      writesInFlight: this.writesInFlight,
      groupCommit: world.batched ? { onGroupedSync: () => void (this.stats.groupedSyncs += 1) } : null,
    };
    this.api = [this.process('e1', 'api', false), this.process('e2', 'api', false)];
    this.worker = this.process('worker', 'worker', false);
    const owner = { name: 'operator', stoppedError: () => null };
    this.control = trackedPool(this.parts.control, this.tracker, owner, new Set());
    this.controlLedger = new OperationLedger(this.control);
    this.operatorFlags = new FlagService(new FlagRepository(this.control), { redisUrl: this.parts.redisUrl, redisKeyPrefix: this.parts.redisKeyPrefix, cacheTtlMs: 0 });
    this.switcher = new FlagSwitcher({
      flags: this.operatorFlags,
      ledger: new ScheduledBarrierLedger(this.control, this.hub),
      registry: new ProcessRegistry(this.control),
      // One look at the ledger, released by the scheduler: it holds (fence lifted) or the flip is refused.
      settleTimeoutMs: 0,
      pollMs: 0,
    });
  }

  async execute(): Promise<RunStats> {
    await seedFixtures(this.stores, this.program);
    for (const store of [this.stores.a, this.stores.b]) {
      store.setGate(async (call) => {
        const context = callContext.getStore();
        if (context?.role === 'write' && call.phase === 'request') context.primaryStore = call.store;
        if (call.phase === 'response') this.history.noteEffect(context, call, store, call.entity ? this.parts.byName.get(call.entity) : undefined);
        if (call.phase === 'response' && context?.role === 'sync' && context.key !== undefined && this.stopped.some((process) => process.name === context.process)) {
          // PROTOCOL.md, known limits: a crashed process's sync call landing after its lock went with its session.
          this.crashWindows.add(`${context.entity}:${String(context.key)}`);
          this.stats.crashWindows += 1;
        }
        const what = `${call.store}.${call.method}${call.entity ? ` ${call.entity.replace('contract_', '')}` : ''} ${call.phase === 'request' ? 'lands' : 'answers'}`;
        await this.hub.wait(nextLabel(what));
        // A lossy store: the call took effect, its answer is lost on the way (the caller sees it unavailable).
        if (call.phase === 'response' && this.faults[call.store] === 'lossy') throw new Error('the answer was lost on the way');
      });
    }
    const commands = this.program.commands;
    let started = 0;
    let running = 0;
    const startNext = (): void => {
      const index = started;
      if (index >= commands.length) return;
      void this.hub.wait(`c${String(index).padStart(2, '0')} starts`).then(() => {
        started += 1;
        running += 1;
        this.command(index)
          .catch((error: unknown) => {
            this.failure ??= error;
          })
          .finally(() => {
            running -= 1;
          });
        startNext();
      });
    };
    startNext();
    await this.drive(() => started === commands.length && running === 0, 'the program');
    let drained = false;
    void this.drain().then(
      () => {
        drained = true;
      },
      (error: unknown) => {
        this.failure ??= error;
        drained = true;
      },
    );
    await this.drive(() => drained, 'the drain');
    await this.drive(() => this.hub.waiting() === 0, 'the last calls');
    if (this.failure !== undefined) throw this.failure;
    this.checkAlways();
    this.stats.knownLimitRows += await finalChecks({
      history: this.history,
      stores: this.stores,
      control: this.parts.control,
      byName: this.parts.byName,
      program: this.program,
    });
    const trace = createHash('sha256').update(this.scheduler.report().map((task) => task.label).join('\n')).digest('hex').slice(0, 12);
    const acknowledged = this.history.attempts.filter((attempt) => attempt.outcome?.kind === 'ok').length;
    return { steps: this.steps, acknowledged, ...this.stats, trace };
  }

  /** After a failure: stop every process (their sessions end, their locks are free) so the next run starts clean. */
  async abort(): Promise<void> {
    for (const process of [...this.api, this.worker]) {
      if (!process.crashed) await process.crash(this.parts.control).catch(() => undefined);
      this.world.slot(process.name.replace(/'+$/, ''), true);
    }
  }

  async close(): Promise<void> {
    for (const process of [...this.api, this.worker, ...this.stopped]) await process.close();
    await this.operatorFlags.close();
  }

  /** What happened, for a counterexample's report. */
  describe(): string {
    return [`landings: ${this.history.describeLandings()}`, `answers: ${this.history.attempts.map((attempt) => `${attempt.label} → ${attempt.outcome?.kind ?? 'none'}`).join('; ')}`].join('\n');
  }

  // ---- the driver ---------------------------------------------------------------------------

  /** Releases scheduled tasks one at a time, each once the system is quiet, until `done`. */
  private async drive(done: () => boolean, what: string): Promise<void> {
    let idle = 0;
    for (;;) {
      await this.quiet(what);
      if (this.failure !== undefined) throw this.failure;
      this.checkAlways();
      if (done()) return;
      this.hub.flush();
      if (this.scheduler.count() === 0) {
        // Nothing to release and not done: something waits for real time (a timer of the code under test).
        idle += 1;
        if (idle > 2_000) throw new Error(`stuck in ${what}: nothing scheduled for 2 s, ${this.tracker.describe()}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      idle = 0;
      this.steps += 1;
      if (this.steps > MAX_STEPS) throw new Error(`stuck in ${what}: more than ${MAX_STEPS} releases`);
      await this.scheduler.waitOne();
    }
  }

  private async quiet(what: string): Promise<void> {
    const since = Date.now();
    for (;;) {
      for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      if (!this.tracker.busy()) return;
      if (Date.now() - since > MAX_BUSY_MS) throw new Error(`stuck in ${what}: busy for ${MAX_BUSY_MS} ms, ${this.tracker.describe()}`);
      await Promise.race([this.tracker.changed(), new Promise((resolve) => setTimeout(resolve, 50))]);
    }
  }

  // ---- commands -----------------------------------------------------------------------------

  private async command(index: number): Promise<void> {
    const command = this.program.commands[index] as Command;
    const label = `c${String(index).padStart(2, '0')}`;
    switch (command.kind) {
      case 'item':
      case 'note':
        return this.write(label, index, index, command, false, this.api[command.engine] as SimProcess);
      case 'retry': {
        const of = retriedWrite(this.program.commands, index, command.of);
        if (of === undefined) return;
        return this.write(label, index, of, this.program.commands[of] as WriteCommand, true, this.api[command.engine] as SimProcess);
      }
      case 'fault':
        this.faults[command.store === 'a' ? 'prisma' : 'supabase'] = command.mode;
        this.stores[command.store].setAvailable(command.mode !== 'down');
        return;
      case 'flip':
        return this.flip(label);
      case 'replay':
        return this.replay(label);
      case 'sweep':
        return this.sweep(false);
      case 'crash':
        return this.crash(command.engine);
      case 'refresh':
        (this.api[command.engine] as SimProcess).flags.invalidate();
        return;
    }
  }

  private async write(label: string, index: number, writeIndex: number, command: WriteCommand, retry: boolean, process: SimProcess): Promise<void> {
    const engine = process.engine as DualWriteEngine;
    const opId = this.opIds[writeIndex] as string;
    const tag = `w${writeIndex}`;
    const entity = command.kind === 'item' ? contractItems : contractNotes;
    const key: RowKey | undefined = command.kind === 'item' ? (ITEM_IDS[command.key] as string) : command.op === 'create' ? undefined : command.key;
    const attempt: Attempt = { writeIndex, opId, retry, label: `${label} ${describeCommand(this.program.commands, index).replace(/^e\d /, `${process.name} `)}` };
    this.history.attempts.push(attempt);
    let answering: (() => void) | undefined;
    const context: CallContext = {
      label: attempt.label,
      role: 'write',
      calls: 0,
      process: process.name,
      opId,
      tag,
      entity: entity.name,
      key,
      onPrimaryDone: () => {
        answering ??= this.tracker.hold();
      },
    };
    try {
      const result = await callContext.run(context, () => callEngine(engine, command, opId, tag, entity, key));
      attempt.outcome = process.crashed ? { kind: 'unanswered' } : { kind: 'ok', row: result, version: this.history.opVersion(opId) };
    } catch (error) {
      const kind = errorKind(error);
      attempt.outcome = process.crashed ? { kind: 'unanswered' } : { kind, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      if (kind === 'other' && !process.crashed) this.history.oddAnswers.push(`${attempt.label}: ${String(error)}`);
    } finally {
      answering?.();
    }
    attempt.primaryStore = context.primaryStore;
    this.history.checkAnswer(attempt, (name) => (name === 'prisma' ? this.stores.a : this.stores.b), entity, key ?? this.history.opKey(opId)?.key);
  }

  private async flip(label: string): Promise<void> {
    if (this.flipping) return;
    this.flipping = true;
    try {
      await callContext.run({ label: `${label} flip`, role: 'other', calls: 0, process: 'operator' }, async () => {
        const current = await this.operatorFlags.current();
        try {
          await this.switcher.change({ next: { enableDualWrite: true, enableSupabasePrimary: !current.enableSupabasePrimary }, changedBy: 'interleavings', source: 'cli', reason: 'flip' });
          this.stats.flips += 1;
        } catch (error) {
          if (!(error instanceof FlipRefusedError)) throw error;
          this.stats.flipsRefused += 1;
        }
      });
    } finally {
      this.flipping = false;
    }
  }

  /** The worker takes every queued job (one at a time per operation, as BullMQ does) and replays it. */
  private async replay(label: string): Promise<void> {
    const jobs = await this.tracker.track(() => this.parts.queueReader.getJobs(['waiting', 'delayed', 'prioritized']));
    const order = (opId: string): number => this.opIds.indexOf(opId);
    const taken = jobs.filter((job) => !this.replaying.has(job.data.opId)).sort((x, y) => order(x.data.opId) - order(y.data.opId));
    for (const job of taken) this.replaying.add(job.data.opId);
    await Promise.all(
      taken.map((job) =>
        callContext.run({ label: `${label} replay ${this.history.opName(job.data.opId)}`, role: 'sync', calls: 0, process: 'worker' }, async () => {
          try {
            const result = await (this.worker.processor as NonNullable<SimProcess['processor']>).replay(job.data.opId);
            if (result.outcome !== 'retry') await this.tracker.track(() => job.remove()).catch(() => undefined);
          } finally {
            this.replaying.delete(job.data.opId);
          }
        }),
      ),
    );
  }

  /**
   * The worker's sweep. Its rules (silent past the grace or pending for minutes ⇒ stopped; queued once minutes old)
   * are timing assumptions, kept here exactly: it moves on the operations left by a stopped process whose calls have
   * all settled, never one a live process is still writing, and queues no write whose primary call is on its way.
   */
  private async sweep(everything: boolean): Promise<void> {
    let olderThan = new Date(Date.now() + 60_000);
    if (!everything) {
      const { rows } = await this.control.query<{ op_id: string; updated_at: Date }>(`select op_id, updated_at from dual_write_ops where status in ('pending', 'primary_done')`);
      for (const row of rows) {
        const owner = this.owners.get(row.op_id);
        // A stopped process's operation is swept minutes later, when every call it sent has long settled.
        if (owner && (!owner.crashed || owner.inFlight > 0) && row.updated_at < olderThan) olderThan = row.updated_at;
      }
    }
    await this.controlLedger.moveStale(olderThan);
    // The real sweep queues owed and unknown writes only once they are old (minutes): a primary call given up on
    // has settled by then. Here: any age, but not while a primary call of the write is still on its way.
    const queue = queueView(this.parts.replayQueue, this.tracker, null);
    const sweeping = new Proxy(queue, {
      get: (target, property, receiver) =>
        property === 'enqueue' ? async (opId: string) => ((this.writesInFlight.get(opId) ?? 0) > 0 ? undefined : target.enqueue(opId)) : Reflect.get(target, property, receiver),
    });
    await requeueOwedOperations(this.controlLedger, sweeping, { olderThanMs: -60_000 });
  }

  private async crash(engine: 0 | 1): Promise<void> {
    const process = this.api[engine] as SimProcess;
    this.stats.crashes += 1;
    await process.crash(this.parts.control);
    this.stopped.push(process);
    this.api[engine] = this.process(process.name, 'api', true);
  }

  /** Faults healed, breakers reset, background work finished, everything owed or unknown swept and replayed. */
  private async drain(): Promise<void> {
    this.faults['prisma'] = 'up';
    this.faults['supabase'] = 'up';
    this.stores.a.setAvailable(true);
    this.stores.b.setAvailable(true);
    for (const process of [...this.api, this.worker]) for (const store of ['prisma', 'supabase']) process.breakers.reset(store);
    // The sweep runs minutes after a crash: every call a stopped process sent has landed or failed by then.
    const settling = (): boolean => this.stopped.some((process) => process.inFlight > 0) || [...this.writesInFlight.values()].some((count) => count > 0);
    while (settling()) await new Promise((resolve) => setTimeout(resolve, 1));
    for (let round = 0; round < DRAIN_ROUNDS; round += 1) {
      await Promise.all(this.api.map((process) => callContext.run({ label: `drain${round} ${process.name}`, role: 'other', calls: 0, process: process.name }, () => (process.engine as DualWriteEngine).drain(30_000))));
      await this.sweep(true);
      await this.replay(`drain${round}`);
      const { rows } = await this.control.query<{ open: string }>(`select count(*) as open from dual_write_ops where status = any($1)`, [OPEN_STATUSES]);
      const queued = await this.tracker.track(() => this.parts.replayQueue.depth());
      if (Number(rows[0]?.open ?? 0) === 0 && queued === 0) return;
    }
    const { rows } = await this.control.query<{ op_id: string; status: string; last_error: string | null }>(`select op_id, status, last_error from dual_write_ops where status = any($1)`, [OPEN_STATUSES]);
    throw new Error(`the drain did not settle the ledger in ${DRAIN_ROUNDS} rounds: ${rows.map((row) => `${this.history.opName(row.op_id)} ${row.status} (${row.last_error})`).join('; ')}`);
  }

  // ---- checks -------------------------------------------------------------------------------

  private checkAlways(): void {
    const stores = [this.stores.a, this.stores.b];
    this.history.checkApplied(stores, this.parts.byName, this.crashWindows);
    this.history.checkOrigins(stores);
  }

  // ---- setup --------------------------------------------------------------------------------

  private process(name: string, kind: 'api' | 'worker', fresh: boolean): SimProcess {
    const slot = this.world.slot(name.replace(/'+$/, ''), fresh);
    const processName = fresh ? `${name}'` : name;
    return new SimProcess(processName, kind, slot.pool, slot.applicationName, this.shared);
  }
}
