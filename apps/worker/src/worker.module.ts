import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { Pool } from 'pg';
import { DiffRepository, DualWriteControlModule } from '@dualwrite/dual-write';
import { GateEvidenceReader, parseRunSettings, type RunSettings } from '@dualwrite/reconcile';
import type { EntityDefinition } from '@dualwrite/stores';
import type { PlatformConfig } from '@dualwrite/config';
import { AlertsService } from './alerts/alerts.service';
import { BreakerBoardPublisherService } from './alerts/breaker-board-publisher.service';
import { BackupConsumer } from './backups/backup-consumer';
import { BackupScheduleService } from './backups/backup-schedule.service';
import { WORKER_BACKUPS, createWorkerBackups } from './backups/worker-backups';
import { DiffBatcher } from './diffs/diff-batcher';
import { DiffCleanupService } from './diffs/diff-cleanup.service';
import { DiffConsumer } from './diffs/diff-consumer';
import { reconcileRunProviders } from './reconcile/reconcile-runs.providers';
import { LedgerSweepService } from './replay/ledger-sweep.service';
import { ReplayConsumer } from './replay/replay-consumer';
import { createWorkerStores, type StoreFactory } from './stores/worker-stores';
import { WorkerHeartbeatService } from './worker-heartbeat.service';
import { PLATFORM_CONFIG } from './worker.constants';

export interface WorkerModuleOptions {
  config: PlatformConfig;
  /** The host's entities: the same list its api registers with DualWriteModule. */
  entities: EntityDefinition[];
  /** Builds the stores; default: Prisma on PRIMARY_DATABASE_URL and Supabase when configured. */
  createStores?: StoreFactory;
  /** Distributed runs and the nightly reconcile; default: parsed from the environment (parseRunSettings). */
  runSettings?: RunSettings;
}

/**
 * The worker process: replays what the secondary owes (dw-replay), stores diffs in batches (dw-diffs),
 * sweeps the ledger for owed operations that never reached the queue, cleans old info diffs daily, and
 * evaluates the alert rules every minute. Its stores, ledger, flags, queues and breakers come from the
 * same control-plane module the api uses (DualWriteControlModule), configured from the same settings.
 */
@Module({})
export class WorkerModule {
  static forRoot(options: WorkerModuleOptions): DynamicModule {
    const { config } = options;
    const logger = new Logger('Worker');
    return {
      module: WorkerModule,
      imports: [
        ScheduleModule.forRoot(),
        DualWriteControlModule.forRootAsync({
          useFactory: () => {
            const stores = (options.createStores ?? createWorkerStores)(config);
            return {
              stores,
              entities: options.entities,
              controlDatabaseUrl: config.controlDatabaseUrl,
              controlPoolSize: 6,
              redisUrl: config.redisUrl,
              redisKeyPrefix: config.redisKeyPrefix,
              processKind: 'worker',
              queues: config.queues,
              flagCacheTtlMs: config.flagCacheTtlMs,
              breakers: { settings: config.breaker },
              // The rollback guard's changes pass the same gates as an operator's.
              phaseGates: {
                evidence: (pool: Pool) => new GateEvidenceReader(pool, { a: stores.a.name, b: stores.b?.name ?? null }),
                reconcileMaxAgeMs: config.phaseGates.reconcileMaxAgeMs,
              },
              onWarning: (message: string) => logger.warn(message),
            };
          },
        }),
      ],
      providers: [
        { provide: PLATFORM_CONFIG, useValue: config },
        {
          provide: DiffBatcher,
          inject: [DiffRepository],
          useFactory: (diffs: DiffRepository) =>
            new DiffBatcher((batch) => diffs.insertBatch(batch), { maxBatch: config.worker.diffBatchSize, maxWaitMs: config.worker.diffBatchWaitMs }),
        },
        ReplayConsumer,
        DiffConsumer,
        LedgerSweepService,
        DiffCleanupService,
        WorkerHeartbeatService,
        AlertsService,
        BreakerBoardPublisherService,
        { provide: WORKER_BACKUPS, useFactory: () => createWorkerBackups(config, options.entities) },
        BackupConsumer,
        BackupScheduleService,
        ...reconcileRunProviders(options.runSettings ?? parseRunSettings(process.env), options.entities),
      ],
    };
  }
}
