import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { DiffRepository, OperationLedger, StoreBreakers } from '@dualwrite/dual-write';
import { EntityRegistry } from '@dualwrite/stores';
import { type PlatformConfig } from '@dualwrite/config';
import { exampleEntities } from '@dualwrite/example-domain';
import { ALERT_SETTINGS, parseAlertSettings, type AlertSettings } from './alerts/alert-settings';
import { AlertsService } from './alerts/alerts.service';
import { BreakerBoardPublisherService } from './alerts/breaker-board-publisher.service';
import type { WorkerSettings } from './config/worker-settings';
import { ControlDatabase } from './control/control-database';
import { DiffBatcher } from './diffs/diff-batcher';
import { DiffCleanupService } from './diffs/diff-cleanup.service';
import { DiffConsumer } from './diffs/diff-consumer';
import { LedgerSweepService } from './replay/ledger-sweep.service';
import { ReplayConsumer } from './replay/replay-consumer';
import { WorkerStores, createWorkerStores, type StoreFactory } from './stores/worker-stores';
import { WorkerHeartbeatService } from './worker-heartbeat.service';
import { PLATFORM_CONFIG, WORKER_REDIS_URL, WORKER_SETTINGS, WORKER_STORE_FACTORY } from './worker.constants';

export interface WorkerModuleOptions {
  config: PlatformConfig;
  settings: WorkerSettings;
  /** Builds the stores; default: Prisma on PRIMARY_DATABASE_URL and Supabase when configured. */
  createStores?: StoreFactory;
  /** The alert cron's thresholds and Redis keys; default: from the DW_ALERT_* variables. */
  alerts?: AlertSettings;
}

/**
 * The worker process: replays what the secondary owes (dw-replay), stores diffs in batches (dw-diffs),
 * sweeps the ledger for owed operations that never reached the queue, and cleans old info diffs daily.
 * dw-reconcile and dw-backup arrive with the reconcile and backup issues.
 */
@Module({})
export class WorkerModule {
  static forRoot(options: WorkerModuleOptions): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ScheduleModule.forRoot()],
      providers: [
        { provide: PLATFORM_CONFIG, useValue: options.config },
        { provide: WORKER_SETTINGS, useValue: options.settings },
        { provide: WORKER_REDIS_URL, useValue: options.config.redisUrl },
        { provide: WORKER_STORE_FACTORY, useValue: options.createStores ?? createWorkerStores },
        ControlDatabase,
        WorkerStores,
        { provide: EntityRegistry, useFactory: () => new EntityRegistry(exampleEntities) },
        { provide: OperationLedger, inject: [ControlDatabase], useFactory: (control: ControlDatabase) => new OperationLedger(control.pool) },
        { provide: DiffRepository, inject: [ControlDatabase], useFactory: (control: ControlDatabase) => new DiffRepository(control.pool) },
        {
          provide: StoreBreakers,
          inject: [WorkerStores],
          useFactory: (stores: WorkerStores) => new StoreBreakers({ stores: [...stores.byName().keys()], settings: options.config.breaker }),
        },
        {
          provide: DiffBatcher,
          inject: [DiffRepository, WORKER_SETTINGS],
          useFactory: (diffs: DiffRepository, settings: WorkerSettings) =>
            new DiffBatcher((batch) => diffs.insertBatch(batch), { maxBatch: settings.diffBatchSize, maxWaitMs: settings.diffBatchWaitMs }),
        },
        ReplayConsumer,
        DiffConsumer,
        LedgerSweepService,
        DiffCleanupService,
        WorkerHeartbeatService,
        { provide: ALERT_SETTINGS, useValue: options.alerts ?? parseAlertSettings(process.env) },
        AlertsService,
        BreakerBoardPublisherService,
      ],
    };
  }
}
