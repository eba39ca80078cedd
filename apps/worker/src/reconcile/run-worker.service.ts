import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Pool } from 'pg';
import { DUAL_WRITE_CONTROL_POOL, DUAL_WRITE_STORES, KeySync, bullConnection, type StorePair } from '@dualwrite/dual-write';
import { LedgerActivity, RunWorker, SqlKeyLister, SqlTableReader, StorePageKeyLister, readForeignKeys, type CopySide, type RunSettings } from '@dualwrite/reconcile';
import type { PlatformConfig } from '@dualwrite/config';
import type { EntityDefinition } from '@dualwrite/stores';
import { PLATFORM_CONFIG } from '../worker.constants';
import { RUN_ENTITIES, RUN_SETTINGS } from './reconcile.constants';

/**
 * Executes distributed reconcile and copy runs from DW_RUNS_QUEUE (RunWorker, @dualwrite/reconcile) in this worker
 * process, DW_RUNS_CONCURRENCY jobs at once. Reconciles read store A's PostgreSQL and store B's (SUPABASE_DB_URL) with
 * SqlTableReader, store B over REST otherwise; copies stream chunks as COPY between the two databases when
 * SUPABASE_DB_URL is set, through the protocol's KeySync otherwise (and for keys written meanwhile). A worker killed mid-job
 * loses nothing: its job is handed to another worker after DW_QUEUE_LOCK_MS.
 */
@Injectable()
export class RunWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunWorkerService.name);
  private readonly pools: Pool[] = [];
  private worker?: RunWorker;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(RUN_SETTINGS) private readonly settings: RunSettings,
    @Inject(RUN_ENTITIES) private readonly entities: EntityDefinition[],
    @Inject(DUAL_WRITE_STORES) private readonly stores: StorePair,
    @Inject(DUAL_WRITE_CONTROL_POOL) private readonly control: Pool,
    private readonly keySync: KeySync,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const storeB = this.stores.b;
    const poolA = this.pool(this.config.primaryDatabaseUrl);
    const poolB = this.config.supabase?.dbUrl ? this.pool(this.config.supabase.dbUrl) : null;
    const side = (store: typeof this.stores.a, pool: Pool | null, schema?: string): CopySide => ({
      store,
      keys: pool ? new SqlKeyLister(pool, schema) : new StorePageKeyLister(store),
      // Both stores hold the same tables: store A's catalog gives the parent-first order either way.
      foreignKeys: () => readForeignKeys(poolA),
    });
    this.worker = new RunWorker({
      entities: this.entities,
      control: this.control,
      queue: { connection: bullConnection(this.config.redisUrl), queueName: this.settings.queueName, prefix: this.settings.prefix },
      reconcileSides: storeB
        ? { a: new SqlTableReader(this.stores.a.name, poolA), b: poolB ? new SqlTableReader(storeB.name, poolB, { schema: 'public' }) : storeB }
        : null,
      // With both stores' PostgreSQL, chunks stream as COPY between them (as copy-data does); KeySync otherwise.
      copy: storeB
        ? { a: side(this.stores.a, poolA), b: side(storeB, poolB, 'public'), keySync: this.keySync, ...(poolB ? { stream: { a: { pool: poolA }, b: { pool: poolB, schema: 'public' } } } : {}) }
        : null,
      ledger: new LedgerActivity(this.control),
      settings: {
        concurrency: this.settings.concurrency,
        lockDuration: this.config.worker.queueLockMs,
        stalledInterval: this.config.worker.queueStalledIntervalMs,
      },
      log: (message) => this.logger.log(message),
    });
    await this.worker.start();
    this.logger.log(`runs queue ${this.settings.queueName} (prefix ${this.settings.prefix}): ${this.settings.concurrency} jobs at once`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await Promise.allSettled(this.pools.map((pool) => pool.end()));
  }

  private pool(url: string): Pool {
    const pool = new Pool({ connectionString: url, max: Math.max(2, this.settings.concurrency * 2) });
    pool.on('error', () => undefined);
    this.pools.push(pool);
    return pool;
  }
}
