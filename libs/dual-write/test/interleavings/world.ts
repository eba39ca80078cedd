import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type fc from 'fast-check';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { EntityRegistry, type EntityDefinition, type Row, type RowKey } from '@dualwrite/stores';
import { InMemoryStore, contractFixtureSchema, contractFixtures, contractItems, contractNotes, contractOwners, contractPosts } from '@dualwrite/stores/testing';
import { prepareControlDatabase } from '@dualwrite/testing';
import type { DiffRecord } from '../../src/diffs/diff-record';
import type { DualWriteEngine } from '../../src/engine/dual-write-engine';
import { FlagRepository } from '../../src/flags/flag-repository';
import { FlagService } from '../../src/flags/flag-service';
import { FlagSwitcher, FlipRefusedError } from '../../src/flags/flag-switcher';
import { ProcessRegistry } from '../../src/flags/process-registry';
import { OperationLedger } from '../../src/ledger/operation-ledger';
import { bullConnection } from '../../src/queues/redis-connection';
import { requeueOwedOperations } from '../../src/replay/ledger-sweep';
import { ReplayQueue, type ReplayJobData } from '../../src/replay/replay-queue';
import { History, InvariantViolation, SEED_TAG, WRITTEN_ENTITIES, errorKind, type Attempt } from './history';
import { IoTracker, trackedPool } from './io-tracker';
import { describeCommand, retriedWrite, type Command, type FaultMode, type Program, type WriteCommand } from './program';
import { GateHub, ScheduledBarrierLedger, callContext, nextLabel, type CallContext } from './scheduled-gates';
import { SimProcess, processPool, queueView, type SharedParts } from './sim-process';

const OWNER_ID = '00000000-0000-4000-8000-00000000a0a0';
const POST_ID = '00000000-0000-4000-8000-00000000b0b0';
const ITEM_IDS = ['00000000-0000-4000-8000-0000000000c0', '00000000-0000-4000-8000-0000000000c1'];
/** Releases of scheduled calls one run may take before it is called stuck. */
const MAX_STEPS = 3_000;
/** How long the system may stay busy (PostgreSQL, Redis) between two releases before the run is called stuck. */
const MAX_BUSY_MS = 5_000;
const DRAIN_ROUNDS = 6;
const OPEN_STATUSES = ['pending', 'primary_done', 'secondary_pending', 'primary_unavailable'];

export interface RunStats {
  steps: number;
  acknowledged: number;
  flips: number;
  flipsRefused: number;
  crashes: number;
  knownLimitRows: number;
  /** Late landings of a crashed process's sync calls (the known limit whose I3 window is tolerated until the sweep). */
  crashWindows: number;
  /** Hash of the released labels, in order: equal for equal interleavings. */
  trace: string;
}

/**
 * The interleaving world of protocol-interleavings.spec.ts: the real engine (two api processes), replay and
 * sweep (the worker) and FlagSwitcher (the operator) over two InMemoryStores named like the real ones, with the
 * ledger, advisory locks and flags on real PostgreSQL and the replay queue on real Redis. fast-check's scheduler
 * releases every store call's landing and answer, each scheduled timeout, each start of a command and each look
 * of the flip barrier at the ledger.
 */
export class InterleavingWorld {
  private controlUrl = '';
  private control!: Pool;
  private replayQueue!: ReplayQueue;
  private queueReader!: Queue<ReplayJobData>;
  private readonly suiteId = uuidv7().slice(-8);
  private readonly redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  private readonly redisKeyPrefix = `dw-interleavings-${this.suiteId}`;
  private readonly slots = new Map<string, { pool: Pool; applicationName: string }>();
  private generation = 0;
  private readonly entities = new EntityRegistry(contractFixtures);
  private readonly byName = new Map<string, EntityDefinition>(contractFixtures.map((entity) => [entity.name, entity]));

  async start(controlDatabase: string): Promise<void> {
    this.controlUrl = await prepareControlDatabase(controlDatabase);
    this.control = new Pool({ connectionString: this.controlUrl, max: 4 });
    this.control.on('error', () => undefined);
    const queueName = `dw-replay-interleavings-${this.suiteId}`;
    this.replayQueue = new ReplayQueue({ redisUrl: this.redisUrl, queueName, enqueueTimeoutMs: 5_000 });
    this.queueReader = new Queue<ReplayJobData>(queueName, { connection: bullConnection(this.redisUrl) });
  }

  async stop(): Promise<void> {
    await this.replayQueue.obliterate().catch(() => undefined);
    await this.replayQueue.close();
    await this.queueReader.close();
    for (const { pool } of this.slots.values()) await pool.end().catch(() => undefined);
    await this.control.end();
  }

  /** One program under one scheduler; throws InvariantViolation (or a stuck run) with what happened. */
  async run(program: Program, scheduler: fc.Scheduler): Promise<RunStats> {
    const run = new Run(this, program, scheduler);
    await this.reset(program);
    try {
      const stats = await run.execute();
      if (process.env['FC_VERBOSE']) console.log(`${run.describe()}\n${JSON.stringify(stats)}`);
      return stats;
    } catch (error) {
      await run.abort();
      const message = error instanceof Error ? error.message : String(error);
      throw Object.assign(new Error(`${message}\n${run.describe()}`, { cause: error }), { name: error instanceof Error ? error.name : 'Error' });
    } finally {
      await run.close();
    }
  }

  // ---- what a run uses --------------------------------------------------------------------

  parts(): { controlUrl: string; redisUrl: string; redisKeyPrefix: string; entities: EntityRegistry; byName: Map<string, EntityDefinition>; control: Pool; replayQueue: ReplayQueue; queueReader: Queue<ReplayJobData> } {
    return { controlUrl: this.controlUrl, redisUrl: this.redisUrl, redisKeyPrefix: this.redisKeyPrefix, entities: this.entities, byName: this.byName, control: this.control, replayQueue: this.replayQueue, queueReader: this.queueReader };
  }

  /** The pool of a process slot (e1, e2, worker); a crashed one's slot gets a fresh pool. */
  slot(name: string, fresh: boolean): { pool: Pool; applicationName: string } {
    const existing = this.slots.get(name);
    if (existing && !fresh) return existing;
    this.generation += 1;
    const applicationName = `dw-int-${this.suiteId}-${name}-${this.generation}`;
    const slot = { pool: processPool(this.controlUrl, applicationName), applicationName };
    this.slots.set(name, slot);
    return slot;
  }

  private async reset(program: Program): Promise<void> {
    await this.control.query('truncate dual_write_ops, dual_write_processes, dual_write_diffs');
    await new FlagRepository(this.control).change({
      next: { enableDualWrite: true, enableSupabasePrimary: program.initial.phase === 3 },
      changedBy: 'interleavings',
      source: 'cli',
      reason: 'start of a run',
    });
    await this.replayQueue.obliterate();
  }
}

/** One run: its stores, processes, history and the driver that releases the scheduler's tasks. */
class Run {
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
  private readonly stats = { flips: 0, flipsRefused: 0, crashes: 0, knownLimitRows: 0, crashWindows: 0 };
  /** Keys on which a crashed process's sync call landed late: I3 is not checked there until the end (known limit). */
  private readonly crashWindows = new Set<string>();

  constructor(
    private readonly world: InterleavingWorld,
    private readonly program: Program,
    private readonly scheduler: fc.Scheduler,
  ) {
    this.parts = world.parts();
    this.hub = new GateHub(scheduler);
    this.stores = { a: this.newStore('prisma'), b: this.newStore('supabase') };
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
    await this.seed(this.program);
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
    await this.finalChecks();
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
      const result = await callContext.run(context, () => this.callEngine(engine, command, opId, tag, entity, key));
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

  private async callEngine(engine: DualWriteEngine, command: WriteCommand, opId: string, tag: string, entity: EntityDefinition, key: RowKey | undefined): Promise<Row> {
    const request = { entity: entity.name, opId, endpoint: 'interleavings' };
    const amount = `${tag.slice(1)}.50`;
    if (command.kind === 'item') {
      const row = { id: key, ownerId: OWNER_ID, name: tag, amount, currency: 'EUR' };
      switch (command.op) {
        case 'create':
          return (await engine.create(request, row)).data;
        case 'update':
          return (await engine.update(request, key as RowKey, { name: tag, amount })).data;
        case 'upsert':
          return (await engine.upsert(request, row)).data;
        case 'delete':
          return (await engine.delete(request, key as RowKey)).data;
      }
    }
    switch (command.op) {
      case 'create':
        return (await engine.create(request, { postId: POST_ID, authorId: OWNER_ID, body: tag })).data;
      case 'update':
        return (await engine.update(request, key as RowKey, { body: tag })).data;
      case 'delete':
        return (await engine.delete(request, key as RowKey)).data;
    }
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
   * The worker's sweep. Its rules (pending for minutes ⇒ its process stopped; queued once minutes old) are timing
   * assumptions, kept here exactly: it moves on the operations left by a stopped process whose calls have all
   * settled, never one a live process is still writing, and queues no write whose primary call is on its way.
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

  private async finalChecks(): Promise<void> {
    this.history.checkApplied([this.stores.a, this.stores.b], this.parts.byName);
    this.checkAlways();
    // I2/I5: the same rows on both stores, except the documented limit (a serial create whose key nobody learnt:
    // no create recorded it; an update or delete naming the same number says nothing about who created the row).
    const { rows } = await this.parts.control.query<{ entity_ids: string[] }>(`select entity_ids from dual_write_ops where entity = $1 and operation = 'create'`, [contractNotes.name]);
    const learnt = new Set(rows.flatMap((row) => row.entity_ids));
    for (const entity of [contractOwners, contractPosts, ...WRITTEN_ENTITIES]) {
      const onA = new Map(this.stores.a.peek(entity).map((row) => [String(row[entity.primaryKey]), JSON.stringify(row)]));
      const onB = new Map(this.stores.b.peek(entity).map((row) => [String(row[entity.primaryKey]), JSON.stringify(row)]));
      for (const key of new Set([...onA.keys(), ...onB.keys()])) {
        if (onA.get(key) === onB.get(key)) continue;
        if (entity === contractNotes && (!onA.has(key) || !onB.has(key)) && !learnt.has(key)) {
          this.stats.knownLimitRows += 1;
          continue;
        }
        throw new InvariantViolation('I5', `${entity.name} ${key} differs after the drain: prisma ${onA.get(key) ?? 'has no row'}, supabase ${onB.get(key) ?? 'has no row'}`);
      }
    }
    // I1: every acknowledged write, or a later one, on the store that ends as primary.
    const flags = await new FlagRepository(this.parts.control).read();
    const primary = flags.enableSupabasePrimary ? this.stores.b : this.stores.a;
    this.history.checkAcknowledged(primary, this.parts.byName, (attempt) => {
      const command = this.program.commands[attempt.writeIndex] as WriteCommand;
      const entity = command.kind === 'item' ? contractItems : contractNotes;
      if (command.kind === 'item') return { entity: entity.name, key: ITEM_IDS[command.key] as string };
      if (command.op !== 'create') return { entity: entity.name, key: command.key };
      const row = attempt.outcome?.kind === 'ok' ? attempt.outcome.row : undefined;
      return row ? { entity: entity.name, key: Number(row['id']) } : undefined;
    });
  }

  // ---- setup --------------------------------------------------------------------------------

  private newStore(name: string): InMemoryStore {
    return new InMemoryStore({ name, schema: contractFixtureSchema });
  }

  private async seed(program: Program): Promise<void> {
    const rows: [EntityDefinition, Row][] = [
      [contractOwners, { id: OWNER_ID, email: 'owner@interleavings.test', displayName: 'Owner' }],
      [contractPosts, { id: POST_ID, authorId: OWNER_ID, title: 'post', body: 'notes belong here' }],
    ];
    if (program.initial.item0) rows.push([contractItems, { id: ITEM_IDS[0], ownerId: OWNER_ID, name: SEED_TAG, amount: '0.50', currency: 'EUR' }]);
    const at = new Date();
    for (const [entity, row] of rows) {
      const stamped = { ...row, createdAt: at, updatedAt: at };
      await this.stores.a.insert(entity, stamped);
      await this.stores.b.insert(entity, stamped);
    }
  }

  private process(name: string, kind: 'api' | 'worker', fresh: boolean): SimProcess {
    const slot = this.world.slot(name.replace(/'+$/, ''), fresh);
    const processName = fresh ? `${name}'` : name;
    return new SimProcess(processName, kind, slot.pool, slot.applicationName, this.shared);
  }
}
