import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { StoreBreakers } from '../src/breakers/store-breakers';
import { DiffPolicy } from '../src/compare/diff-policy';
import type { DiffRecord } from '../src/diffs/diff-record';
import { DiffQueue } from '../src/diffs/diff-queue';
import { EntityRegistry } from '@dualwrite/stores';
import type { Row } from '@dualwrite/stores';
import type { DualWriteFlags } from '../src/flags/dual-write-mode';
import { FlagRepository } from '../src/flags/flag-repository';
import { FlagService } from '../src/flags/flag-service';
import { FlagSwitcher } from '../src/flags/flag-switcher';
import { ProcessRegistry } from '../src/flags/process-registry';
import { OperationLedger } from '../src/ledger/operation-ledger';
import { ReplayProcessor } from '../src/replay/replay-processor';
import { ReplayQueue } from '../src/replay/replay-queue';
import { KeySync } from '../src/sync/key-sync';
import { ClaimBatcher } from '../src/ledger/claim-batcher';
import { PrimaryOutcomeBatcher } from '../src/ledger/primary-outcome-batcher';
import { SyncBatcher } from '../src/sync/sync-batcher';
import { bullConnection } from '../src/queues/redis-connection';
import { PrismaStore } from '@dualwrite/stores';
import { SupabaseStore } from '@dualwrite/stores';
import { supabaseTestSettings, unreachableSupabase } from '@dualwrite/stores/testing';
import type { EntityDefinition, PrismaClientLike, StorePlugin } from '@dualwrite/stores';
import { DualWriteEngine, type DualWriteEngineOptions } from '../src/engine/dual-write-engine';
import { InsertBatcher } from '../src/engine/insert-batcher';

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * The domain a kit's scenarios write, given by the spec (specs may use the example domain and the test helpers; this
 * lib's code may not): its entities, the one that owns the rows (`owner()`), a Prisma client for store A's database,
 * and how to prepare a control database of the suite's own (the test helpers' prepareControlDatabase).
 */
export interface EngineTestDomain {
  entities: EntityDefinition[];
  owners: EntityDefinition;
  prismaClient: (databaseUrl: string) => PrismaClientLike;
  controlDatabase: (name: string) => Promise<string>;
}

/**
 * Real parts for engine scenarios: Prisma on dw_primary, supabase-js on supabase-local, the control tables,
 * BullMQ queues under names of this run only, control tables in a database of the suite's own.
 */
export class EngineTestKit {
  pool!: Pool;
  ledger!: OperationLedger;
  keySync!: KeySync;
  flagRepository!: FlagRepository;
  flags!: FlagService;
  readonly entities: EntityRegistry;
  readonly prisma: PrismaStore;
  readonly supabase = new SupabaseStore(supabaseTestSettings());
  readonly runId = uuidv7();
  readonly replayQueueName = `dw-replay-test-${this.runId}`;
  readonly diffQueueName = `dw-diffs-test-${this.runId}`;
  readonly replayQueue = new ReplayQueue({ redisUrl, queueName: this.replayQueueName });
  readonly diffQueue = new DiffQueue({ redisUrl, queueName: this.diffQueueName });
  private readonly closables: { close(): Promise<void> }[] = [];
  private readonly userIds: string[] = [];

  constructor(private readonly domain: EngineTestDomain) {
    this.entities = new EntityRegistry(domain.entities);
    this.prisma = new PrismaStore(domain.prismaClient(primaryUrl), { ownsClient: true });
  }

  /** The control tables live in a database of this suite's own (see EngineTestDomain.controlDatabase). */
  async start(controlDatabase = 'dw_control_engine_spec'): Promise<void> {
    this.pool = new Pool({ connectionString: await this.domain.controlDatabase(controlDatabase), max: 10 });
    this.ledger = new OperationLedger(this.pool);
    this.keySync = new KeySync({ pool: this.pool, ledger: this.ledger });
    this.flagRepository = new FlagRepository(this.pool);
    this.flags = new FlagService(this.flagRepository, { redisUrl, cacheTtlMs: 0 });
    await this.flags.start();
  }

  async stop(): Promise<void> {
    for (const id of this.userIds) {
      for (const store of [this.prisma, this.supabase]) await store.delete(this.domain.owners, id).catch(() => undefined);
    }
    await this.replayQueue.obliterate();
    await this.diffQueue.obliterate();
    for (const closable of [...this.closables, this.replayQueue, this.diffQueue, this.flags, this.prisma, this.supabase]) {
      await closable.close();
    }
    await this.pool.end();
  }

  /** A replay processor on the kit's stores, syncing from whichever store the flags make primary. */
  /** The replay over the kit's stores, or over `supabase` in place of store B (an unreachable one, say). */
  replayProcessor(maxAttempts = 3, supabase: StorePlugin = this.supabase): ReplayProcessor {
    const stores = new Map<string, StorePlugin>([
      [this.prisma.name, this.prisma],
      [supabase.name, supabase],
    ]);
    return new ReplayProcessor({
      ledger: this.ledger,
      entities: this.entities,
      stores,
      maxAttempts,
      keySync: this.keySync,
    });
  }

  /** The flag version now in the control database (what a claim must carry). */
  async flagVersion(): Promise<number> {
    return (await this.flagRepository.read()).version;
  }

  async setFlags(flags: DualWriteFlags): Promise<void> {
    await this.flagRepository.change({
      next: { enableDualWrite: flags.enableDualWrite, enableSupabasePrimary: flags.enableSupabasePrimary },
      changedBy: 'engine scenario',
      source: 'cli',
      reason: 'scenario test',
    });
  }

  /** A Prisma store (named like store A) whose database port is closed. */
  unreachablePrisma(): PrismaStore {
    const store = new PrismaStore(this.domain.prismaClient('postgresql://postgres@127.0.0.1:1/dw_primary'), { ownsClient: true });
    this.closables.push(store);
    return store;
  }

  /** The flip barrier over the kit's flags and ledger (no process of the suite registers, so none is waited for). */
  switcher(settleTimeoutMs = 2_000): FlagSwitcher {
    return new FlagSwitcher({
      flags: this.flags,
      ledger: this.ledger,
      registry: new ProcessRegistry(this.pool),
      settleTimeoutMs,
      sequences: { stores: { a: this.prisma, b: this.supabase }, entities: this.domain.entities },
    });
  }

  /** A Supabase store whose API and database ports are closed. */
  unreachableSupabase(): SupabaseStore {
    const store = new SupabaseStore({ ...supabaseTestSettings(), ...unreachableSupabase, requestTimeoutMs: 1_000 });
    this.closables.push(store);
    return store;
  }

  engine(overrides: Partial<DualWriteEngineOptions> & { b?: StorePlugin | null; a?: StorePlugin } = {}): DualWriteEngine {
    const { a, b, ...rest } = overrides;
    return new DualWriteEngine({
      stores: { a: a ?? this.prisma, b: b === undefined ? this.supabase : b },
      entities: this.entities,
      flags: this.flags,
      ledger: this.ledger,
      keySync: this.keySync,
      replayQueue: this.replayQueue,
      breakers: new StoreBreakers({ stores: ['prisma', 'supabase'] }),
      diffs: this.diffQueue,
      diffPolicy: new DiffPolicy(),
      secondaryTimeoutMs: 3_000,
      insertBatcher: new InsertBatcher(),
      syncBatcher: new SyncBatcher(this.keySync),
      claims: new ClaimBatcher(this.pool, this.ledger),
      primaryOutcomes: new PrimaryOutcomeBatcher(this.pool, this.ledger),
      ...rest,
    });
  }

  /** The same store with each write held back `delayMs` first (a slow network or database). */
  withSlowWrites(store: StorePlugin, delayMs: number): StorePlugin {
    const slow = Object.create(store) as StorePlugin;
    const later = () => new Promise((resolve) => setTimeout(resolve, delayMs));
    slow.insert = async (entity, row) => (await later(), store.insert(entity, row));
    slow.upsert = async (entity, row) => (await later(), store.upsert(entity, row));
    slow.batchUpsert = async (entity, rows) => (await later(), store.batchUpsert(entity, rows));
    slow.upsertMany = async (entity, rows) => (await later(), store.upsertMany(entity, rows));
    return slow;
  }

  /** A user on both stores, owner of the rows a scenario writes; removed (with its rows) afterwards. */
  async owner(): Promise<string> {
    const id = uuidv7();
    this.userIds.push(id);
    const user = await this.prisma.insert(this.domain.owners, { id, email: `${id}@engine.test`, displayName: 'Engine' });
    await this.supabase.insert(this.domain.owners, user);
    return id;
  }

  budget(ownerId: string, overrides: Row = {}): Row {
    return { ownerId, name: 'Groceries', amount: '120.50', currency: 'EUR', metadata: { tags: ['food'] }, ...overrides };
  }

  async queuedDiffs(): Promise<DiffRecord[]> {
    const queue = new Queue<DiffRecord>(this.diffQueueName, { connection: bullConnection(redisUrl) });
    try {
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      return jobs.map((job) => job.data);
    } finally {
      await queue.close();
    }
  }

}
