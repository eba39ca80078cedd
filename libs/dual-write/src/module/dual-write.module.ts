import { Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { Pool } from 'pg';
import { EntityRegistry } from '@dualwrite/stores';
import { BreakerStateBoard, BreakerStatePublisher } from '../alerts/breaker-state-board';
import { StoreBreakers } from '../breakers/store-breakers';
import { DiffPolicy } from '../compare/diff-policy';
import { DUAL_WRITE_CONTROL_OPTIONS } from '../control/dual-write-control.module-definition';
import { DualWriteControlModule } from '../control/dual-write-control.module';
import type { ControlSettings } from '../control/dual-write-control.options';
import { DUAL_WRITE_CONTROL_POOL, DUAL_WRITE_CONTROL_SETTINGS } from '../control/dual-write-control.tokens';
import { RedisConnections } from '../control/redis-connections';
import { DiffQueue } from '../diffs/diff-queue';
import { DualWriteEngine } from '../engine/dual-write-engine';
import { InsertBatcher } from '../engine/insert-batcher';
import { FlagService } from '../flags/flag-service';
import { OperationLedger } from '../ledger/operation-ledger';
import { ClaimBatcher } from '../ledger/claim-batcher';
import { PrimaryOutcomeBatcher } from '../ledger/primary-outcome-batcher';
import { PrometheusDualWriteMetrics } from '../metrics/prometheus-dual-write-metrics';
import { platformRedisKeys } from '../queues/redis-keys';
import { ReplayQueue } from '../replay/replay-queue';
import { KeySync } from '../sync/key-sync';
import { SyncBatcher, defaultSyncGatherMs } from '../sync/sync-batcher';
import { DualWriteInterceptor } from './dual-write.interceptor';
import type { DualWriteModuleAsyncOptions, DualWriteModuleOptions } from './dual-write.options';
import { DualWriteService } from './dual-write.service';
import { DUAL_WRITE_OPTIONS } from './dual-write.tokens';

/** Publishes breaker states with the application and lets the engine's background work finish before anything closes. */
@Injectable()
class DualWriteEngineLifecycle implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    private readonly breakerPublisher: BreakerStatePublisher,
    private readonly engine: DualWriteEngine,
  ) {}

  onModuleInit(): void {
    this.breakerPublisher.start();
  }

  /** Before any module closes what the engine uses (the host may own the stores): let background work finish. */
  // Everything here runs before the control plane closes Redis, queues and the pool (its onApplicationShutdown).
  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.drain();
    await this.breakerPublisher.close();
  }
}

const engineProviders = [
  // The control module keeps the options a host passed; the engine's own fields ride along in the same object.
  { provide: DUAL_WRITE_OPTIONS, inject: [DUAL_WRITE_CONTROL_OPTIONS], useFactory: (options: DualWriteModuleOptions) => options },
  {
    provide: PrometheusDualWriteMetrics,
    inject: [StoreBreakers, ReplayQueue, DiffQueue, OperationLedger],
    useFactory: (breakers: StoreBreakers, replayQueue: ReplayQueue, diffQueue: DiffQueue, ledger: OperationLedger) =>
      new PrometheusDualWriteMetrics({ breakers, replayQueue, diffQueue, ledger }),
  },
  {
    // Breaker states go to Redis so the worker's alert rules see every process's breakers.
    provide: BreakerStatePublisher,
    inject: [DUAL_WRITE_OPTIONS, DUAL_WRITE_CONTROL_SETTINGS, StoreBreakers, RedisConnections],
    useFactory: (options: DualWriteModuleOptions, settings: ControlSettings, breakers: StoreBreakers, redis: RedisConnections) =>
      new BreakerStatePublisher(breakers, new BreakerStateBoard(redis.commands(), platformRedisKeys(settings.redisKeyPrefix).breakers), {
        onWarning: options.onWarning,
      }),
  },
  {
    provide: DualWriteEngine,
    inject: [
      DUAL_WRITE_OPTIONS,
      DUAL_WRITE_CONTROL_POOL,
      EntityRegistry,
      FlagService,
      OperationLedger,
      KeySync,
      ReplayQueue,
      StoreBreakers,
      DiffQueue,
      PrometheusDualWriteMetrics,
    ],
    useFactory: (
      options: DualWriteModuleOptions,
      pool: Pool,
      entities: EntityRegistry,
      flags: FlagService,
      ledger: OperationLedger,
      keySync: KeySync,
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
        keySync,
        replayQueue,
        breakers,
        diffs,
        diffPolicy: new DiffPolicy(options.diffPolicy),
        severityRules: options.severityRules,
        secondaryTimeoutMs: options.secondaryTimeoutMs,
        shadowReadRate: options.shadowReadRate,
        readFallbackToSecondary: options.readFallbackToSecondary,
        insertBatcher: options.batchInserts === false ? undefined : new InsertBatcher(),
        syncBatcher: options.batchInserts === false ? undefined : new SyncBatcher(keySync, { gatherMs: options.syncGatherMs ?? defaultSyncGatherMs(options.secondaryTimeoutMs) }),
        claims: options.batchInserts === false ? undefined : new ClaimBatcher(pool, ledger),
        primaryOutcomes: options.batchInserts === false ? undefined : new PrimaryOutcomeBatcher(pool, ledger),
        onWarning: options.onWarning,
        metrics,
      }),
  },
  { provide: DualWriteService, inject: [DualWriteEngine], useFactory: (engine: DualWriteEngine) => new DualWriteService(engine) },
  { provide: APP_INTERCEPTOR, useClass: DualWriteInterceptor },
  DualWriteEngineLifecycle,
];

/**
 * The dual-write module a host registers: `DualWriteModule.forRoot({ stores, entities, controlDatabaseUrl,
 * redisUrl })` or `forRootAsync({ useFactory, inject })`. It brings the control plane (DualWriteControlModule:
 * flags, ledger, breakers, queues, diffs) and adds the write engine: DualWriteService, the `@DualWrite`
 * interceptor, metrics and the breaker-state publisher. Global by default (`isGlobal: false` to scope it).
 */
@Module({})
export class DualWriteModule {
  static forRoot(options: DualWriteModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return DualWriteModule.around(DualWriteControlModule.forRoot(options), options.isGlobal);
  }

  static forRootAsync(options: DualWriteModuleAsyncOptions): DynamicModule {
    return DualWriteModule.around(DualWriteControlModule.forRootAsync(options), options.isGlobal);
  }

  private static around(control: DynamicModule, isGlobal = true): DynamicModule {
    return {
      module: DualWriteModule,
      global: isGlobal,
      imports: [{ ...control, global: isGlobal }],
      providers: engineProviders,
      exports: [DualWriteService, DualWriteEngine, PrometheusDualWriteMetrics, DUAL_WRITE_OPTIONS],
    };
  }
}
