import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { BreakerStateBoard, BreakerStatePublisher } from '../alerts/breaker-state-board';
import { StoreBreakers } from '../breakers/store-breakers';
import { DiffPolicy } from '../compare/diff-policy';
import { DiffQueue } from '../diffs/diff-queue';
import { DiffRepository } from '../diffs/diff-repository';
import { DualWriteEngine } from '../engine/dual-write-engine';
import { InsertBatcher } from '../engine/insert-batcher';
import { EntityRegistry } from '@dualwrite/stores';
import { FlagRepository } from '../flags/flag-repository';
import { FlagService } from '../flags/flag-service';
import { OperationLedger } from '../ledger/operation-ledger';
import { PrometheusDualWriteMetrics } from '../metrics/prometheus-dual-write-metrics';
import { ReplayQueue } from '../replay/replay-queue';
import { ConfigurableDualWriteModule, DUAL_WRITE_OPTIONS } from './dual-write.module-definition';
import type { DualWriteModuleOptions } from './dual-write.options';
import { DualWriteInterceptor } from './dual-write.interceptor';
import { DualWriteService } from './dual-write.service';
import { DUAL_WRITE_CONTROL_POOL } from './dual-write.tokens';

/** Starts the flag subscription with the app and closes everything the module opened when it stops. */
@Injectable()
class DualWriteLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(DUAL_WRITE_OPTIONS) private readonly options: DualWriteModuleOptions,
    @Inject(DUAL_WRITE_CONTROL_POOL) private readonly pool: Pool,
    private readonly flags: FlagService,
    private readonly replayQueue: ReplayQueue,
    private readonly diffQueue: DiffQueue,
    private readonly breakerPublisher: BreakerStatePublisher,
    private readonly engine: DualWriteEngine,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.flags.start();
    this.breakerPublisher.start();
  }

  /** Before any module closes what the engine uses (the host may own the stores): let background work finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.flags.close(), this.replayQueue.close(), this.diffQueue.close(), this.breakerPublisher.close()]);
    await this.pool.end();
    if (this.options.closeStores ?? true) {
      await Promise.allSettled([this.options.stores.a.close(), this.options.stores.b?.close()]);
    }
  }
}

/**
 * The dual-write module a host registers: `DualWriteModule.forRoot({ stores, entities, controlDatabaseUrl,
 * redisUrl })` or `forRootAsync({ useFactory, inject })`. Provides DualWriteService, the `@DualWrite`
 * interceptor, and the flag service, ledger, breakers and queues behind them.
 */
@Module({
  providers: [
    {
      provide: DUAL_WRITE_CONTROL_POOL,
      inject: [DUAL_WRITE_OPTIONS],
      useFactory: (options: DualWriteModuleOptions) => {
        const pool = new Pool({ connectionString: options.controlDatabaseUrl, max: 10, idleTimeoutMillis: 10_000 });
        pool.on('error', () => undefined);
        return pool;
      },
    },
    { provide: EntityRegistry, inject: [DUAL_WRITE_OPTIONS], useFactory: (options: DualWriteModuleOptions) => new EntityRegistry(options.entities) },
    { provide: OperationLedger, inject: [DUAL_WRITE_CONTROL_POOL], useFactory: (pool: Pool) => new OperationLedger(pool) },
    { provide: DiffRepository, inject: [DUAL_WRITE_CONTROL_POOL], useFactory: (pool: Pool) => new DiffRepository(pool) },
    { provide: FlagRepository, inject: [DUAL_WRITE_CONTROL_POOL], useFactory: (pool: Pool) => new FlagRepository(pool) },
    {
      provide: FlagService,
      inject: [FlagRepository, DUAL_WRITE_OPTIONS],
      useFactory: (repository: FlagRepository, options: DualWriteModuleOptions) =>
        new FlagService(repository, { redisUrl: options.redisUrl, cacheTtlMs: options.flagCacheTtlMs }),
    },
    {
      provide: ReplayQueue,
      inject: [DUAL_WRITE_OPTIONS],
      useFactory: (options: DualWriteModuleOptions) => new ReplayQueue({ redisUrl: options.redisUrl, attempts: options.replayAttempts }),
    },
    { provide: DiffQueue, inject: [DUAL_WRITE_OPTIONS], useFactory: (options: DualWriteModuleOptions) => new DiffQueue({ redisUrl: options.redisUrl }) },
    {
      provide: StoreBreakers,
      inject: [DUAL_WRITE_OPTIONS],
      useFactory: (options: DualWriteModuleOptions) =>
        new StoreBreakers({
          ...options.breakers,
          stores: [options.stores.a.name, ...(options.stores.b ? [options.stores.b.name] : [])],
        }),
    },
    {
      provide: PrometheusDualWriteMetrics,
      inject: [StoreBreakers, ReplayQueue, DiffQueue, OperationLedger],
      useFactory: (breakers: StoreBreakers, replayQueue: ReplayQueue, diffQueue: DiffQueue, ledger: OperationLedger) =>
        new PrometheusDualWriteMetrics({ breakers, replayQueue, diffQueue, ledger }),
    },
    {
      // Breaker states go to Redis so the worker's alert rules see every process's breakers.
      provide: BreakerStatePublisher,
      inject: [DUAL_WRITE_OPTIONS, StoreBreakers],
      useFactory: (options: DualWriteModuleOptions, breakers: StoreBreakers) => {
        const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
        redis.on('error', () => undefined);
        redis.connect().catch(() => undefined);
        return new BreakerStatePublisher(breakers, new BreakerStateBoard(redis), { onClose: () => redis.disconnect() });
      },
    },
    {
      provide: DualWriteEngine,
      inject: [DUAL_WRITE_OPTIONS, EntityRegistry, FlagService, OperationLedger, ReplayQueue, StoreBreakers, DiffQueue, PrometheusDualWriteMetrics],
      useFactory: (
        options: DualWriteModuleOptions,
        entities: EntityRegistry,
        flags: FlagService,
        ledger: OperationLedger,
        replayQueue: ReplayQueue,
        breakers: StoreBreakers,
        diffs: DiffQueue,
        metrics: PrometheusDualWriteMetrics,
      ) =>
        new DualWriteEngine({
          stores: options.stores,
          entities,
          flags,
          ledger,
          replayQueue,
          breakers,
          diffs,
          diffPolicy: new DiffPolicy(options.diffPolicy),
          severityRules: options.severityRules,
          secondaryTimeoutMs: options.secondaryTimeoutMs,
          shadowReadRate: options.shadowReadRate,
          readFallbackToSecondary: options.readFallbackToSecondary,
          insertBatcher: options.batchInserts === false ? undefined : new InsertBatcher(),
          metrics,
        }),
    },
    { provide: DualWriteService, inject: [DualWriteEngine], useFactory: (engine: DualWriteEngine) => new DualWriteService(engine) },
    { provide: APP_INTERCEPTOR, useClass: DualWriteInterceptor },
    DualWriteLifecycle,
  ],
  exports: [DualWriteService, DualWriteEngine, FlagService, FlagRepository, OperationLedger, DiffRepository, ReplayQueue, DiffQueue, StoreBreakers, EntityRegistry, DUAL_WRITE_CONTROL_POOL, PrometheusDualWriteMetrics],
})
export class DualWriteModule extends ConfigurableDualWriteModule {}
