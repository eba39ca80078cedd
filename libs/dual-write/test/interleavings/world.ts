import { Queue } from 'bullmq';
import type fc from 'fast-check';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { EntityRegistry, type EntityDefinition } from '@dualwrite/stores';
import { contractFixtures } from '@dualwrite/stores/testing';
import { FlagRepository } from '../../src/flags/flag-repository';
import { bullConnection } from '../../src/queues/redis-connection';
import { ReplayQueue, type ReplayJobData } from '../../src/replay/replay-queue';
import { type Program } from './program';
import { processPool } from './sim-process';

import { Run } from './run';
import type { RunStats } from './run-stats';

export type { RunStats };

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

  /** `batched`: the api processes' engines group claims, the primary's outcomes and syncs, as the api module does. */
  constructor(readonly batched = false) {}

  /** `controlUrl`: a control database of the suite's own, its tables in place (the spec prepares it). */
  async start(controlUrl: string): Promise<void> {
    this.controlUrl = controlUrl;
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
