import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EntityRegistry } from '@dualwrite/stores';
import { Pool } from 'pg';
import { StoreBreakers } from '../breakers/store-breakers';
import { DiffQueue } from '../diffs/diff-queue';
import { DiffRepository } from '../diffs/diff-repository';
import { FlagRepository } from '../flags/flag-repository';
import { FlagService } from '../flags/flag-service';
import { FlagSwitcher } from '../flags/flag-switcher';
import { ProcessRegistry, newProcessId } from '../flags/process-registry';
import { KeySync } from '../sync/key-sync';
import { OperationLedger } from '../ledger/operation-ledger';
import { DIFFS_QUEUE, REPLAY_QUEUE } from '../queues/redis-connection';
import { DEFAULT_REDIS_KEY_PREFIX } from '../queues/redis-keys';
import { DEFAULT_REPLAY_ATTEMPTS, ReplayQueue } from '../replay/replay-queue';
import { ConfigurableDualWriteControlModule, DUAL_WRITE_CONTROL_OPTIONS } from './dual-write-control.module-definition';
import type { ControlSettings, DualWriteControlOptions, StorePair } from './dual-write-control.options';
import { DUAL_WRITE_CONTROL_POOL, DUAL_WRITE_CONTROL_SETTINGS, DUAL_WRITE_STORES } from './dual-write-control.tokens';
import { RedisConnections } from './redis-connections';

/** The options' defaults, applied in this one place for every process. */
export function controlSettingsOf(options: DualWriteControlOptions): ControlSettings {
  return {
    replayQueue: options.queues?.replay ?? REPLAY_QUEUE,
    diffsQueue: options.queues?.diffs ?? DIFFS_QUEUE,
    replayAttempts: options.queues?.replayAttempts ?? DEFAULT_REPLAY_ATTEMPTS,
    redisKeyPrefix: options.redisKeyPrefix ?? DEFAULT_REDIS_KEY_PREFIX,
  };
}

/** Starts the flag subscription with the application and closes what the control plane opened when it stops. */
@Injectable()
class DualWriteControlLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DUAL_WRITE_CONTROL_OPTIONS) private readonly options: DualWriteControlOptions,
    @Inject(DUAL_WRITE_CONTROL_POOL) private readonly pool: Pool,
    private readonly flags: FlagService,
    private readonly replayQueue: ReplayQueue,
    private readonly diffQueue: DiffQueue,
    private readonly redis: RedisConnections,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.flags.start();
  }

  // Runs after every beforeApplicationShutdown hook: consumers, crons and the engine's background work are done.
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.flags.close(), this.replayQueue.close(), this.diffQueue.close(), this.redis.close()]);
    await this.pool.end();
    if (this.options.closeStores ?? true) {
      await Promise.allSettled([this.options.stores.a.close(), this.options.stores.b?.close()]);
    }
  }
}

/**
 * The control plane every process shares: `DualWriteControlModule.forRoot(...)` / `forRootAsync(...)` provides
 * the stores, the entity registry, the control database pool, flags, the operation ledger, the diff
 * repository, the replay and diff queues, the store breakers and the process's Redis connection.
 * The worker imports it directly; the api gets it through DualWriteModule, which adds the write engine.
 */
@Module({
  providers: [
    { provide: DUAL_WRITE_CONTROL_SETTINGS, inject: [DUAL_WRITE_CONTROL_OPTIONS], useFactory: controlSettingsOf },
    { provide: DUAL_WRITE_STORES, inject: [DUAL_WRITE_CONTROL_OPTIONS], useFactory: (options: DualWriteControlOptions): StorePair => options.stores },
    {
      provide: DUAL_WRITE_CONTROL_POOL,
      inject: [DUAL_WRITE_CONTROL_OPTIONS],
      useFactory: (options: DualWriteControlOptions) => {
        const pool = new Pool({ connectionString: options.controlDatabaseUrl, max: options.controlPoolSize ?? 10, idleTimeoutMillis: 10_000 });
        // An idle client losing its connection must not crash the process; the next query reports the problem.
        pool.on('error', () => undefined);
        return pool;
      },
    },
    { provide: EntityRegistry, inject: [DUAL_WRITE_CONTROL_OPTIONS], useFactory: (options: DualWriteControlOptions) => new EntityRegistry(options.entities) },
    { provide: OperationLedger, inject: [DUAL_WRITE_CONTROL_POOL], useFactory: (pool: Pool) => new OperationLedger(pool) },
    { provide: DiffRepository, inject: [DUAL_WRITE_CONTROL_POOL], useFactory: (pool: Pool) => new DiffRepository(pool) },
    { provide: FlagRepository, inject: [DUAL_WRITE_CONTROL_POOL], useFactory: (pool: Pool) => new FlagRepository(pool) },
    { provide: ProcessRegistry, inject: [DUAL_WRITE_CONTROL_POOL], useFactory: (pool: Pool) => new ProcessRegistry(pool) },
    {
      provide: FlagService,
      inject: [FlagRepository, ProcessRegistry, DUAL_WRITE_CONTROL_OPTIONS, DUAL_WRITE_CONTROL_SETTINGS],
      useFactory: (repository: FlagRepository, registry: ProcessRegistry, options: DualWriteControlOptions, settings: ControlSettings) => {
        const kind = options.processKind ?? 'app';
        return new FlagService(repository, {
          redisUrl: options.redisUrl,
          redisKeyPrefix: settings.redisKeyPrefix,
          cacheTtlMs: options.flagCacheTtlMs,
          onWarning: options.onWarning,
          registry: { registry, processId: newProcessId(kind), kind },
        });
      },
    },
    {
      provide: FlagSwitcher,
      inject: [FlagService, OperationLedger, ProcessRegistry, DUAL_WRITE_CONTROL_OPTIONS, DUAL_WRITE_CONTROL_POOL],
      useFactory: (flags: FlagService, ledger: OperationLedger, registry: ProcessRegistry, options: DualWriteControlOptions, pool: Pool) =>
        new FlagSwitcher({
          flags,
          ledger,
          registry,
          settleTimeoutMs: options.flipSettleTimeoutMs,
          sequences: { stores: options.stores, entities: options.entities },
          gates: options.phaseGates && {
            evidence: options.phaseGates.evidence(pool),
            entities: options.entities.map((entity) => entity.name),
            policy: { reconcileMaxAgeMs: options.phaseGates.reconcileMaxAgeMs },
          },
        }),
    },
    {
      provide: KeySync,
      inject: [DUAL_WRITE_CONTROL_POOL, OperationLedger, StoreBreakers],
      useFactory: (pool: Pool, ledger: OperationLedger, breakers: StoreBreakers) =>
        new KeySync({ pool, ledger, guard: (store, call) => breakers.execute(store.name, () => call()) }),
    },
    {
      provide: ReplayQueue,
      inject: [DUAL_WRITE_CONTROL_OPTIONS, DUAL_WRITE_CONTROL_SETTINGS],
      useFactory: (options: DualWriteControlOptions, settings: ControlSettings) =>
        new ReplayQueue({ redisUrl: options.redisUrl, queueName: settings.replayQueue, attempts: settings.replayAttempts }),
    },
    {
      provide: DiffQueue,
      inject: [DUAL_WRITE_CONTROL_OPTIONS, DUAL_WRITE_CONTROL_SETTINGS],
      useFactory: (options: DualWriteControlOptions, settings: ControlSettings) => new DiffQueue({ redisUrl: options.redisUrl, queueName: settings.diffsQueue }),
    },
    {
      provide: StoreBreakers,
      inject: [DUAL_WRITE_CONTROL_OPTIONS],
      useFactory: (options: DualWriteControlOptions) =>
        new StoreBreakers({ ...options.breakers, stores: [options.stores.a.name, ...(options.stores.b ? [options.stores.b.name] : [])] }),
    },
    { provide: RedisConnections, inject: [DUAL_WRITE_CONTROL_OPTIONS], useFactory: (options: DualWriteControlOptions) => new RedisConnections(options.redisUrl) },
    DualWriteControlLifecycle,
  ],
  exports: [
    DUAL_WRITE_CONTROL_OPTIONS,
    DUAL_WRITE_CONTROL_SETTINGS,
    DUAL_WRITE_STORES,
    DUAL_WRITE_CONTROL_POOL,
    EntityRegistry,
    OperationLedger,
    DiffRepository,
    FlagRepository,
    FlagService,
    FlagSwitcher,
    ProcessRegistry,
    KeySync,
    ReplayQueue,
    DiffQueue,
    StoreBreakers,
    RedisConnections,
  ],
})
export class DualWriteControlModule extends ConfigurableDualWriteControlModule {}
