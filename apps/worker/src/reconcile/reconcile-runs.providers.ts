import type { Provider } from '@nestjs/common';
import type { Pool } from 'pg';
import { DUAL_WRITE_CONTROL_POOL, FlagRepository, bullConnection } from '@dualwrite/dual-write';
import { RunCoordinator, type RunSettings } from '@dualwrite/reconcile';
import type { PlatformConfig } from '@dualwrite/config';
import type { EntityDefinition } from '@dualwrite/stores';
import { PLATFORM_CONFIG } from '../worker.constants';
import { ReconcileScheduleService } from './reconcile-schedule.service';
import { RUN_COORDINATOR, RUN_ENTITIES, RUN_SETTINGS } from './reconcile.constants';
import { RunWorkerService } from './run-worker.service';

/** The worker's distributed runs: the run queue's consumer, and the nightly reconcile that starts runs on it. */
export function reconcileRunProviders(settings: RunSettings, entities: EntityDefinition[]): Provider[] {
  return [
    { provide: RUN_SETTINGS, useValue: settings },
    { provide: RUN_ENTITIES, useValue: entities },
    {
      provide: RUN_COORDINATOR,
      inject: [PLATFORM_CONFIG, DUAL_WRITE_CONTROL_POOL, FlagRepository],
      useFactory: (config: PlatformConfig, control: Pool, flags: FlagRepository) =>
        new RunCoordinator({
          entities,
          control,
          queue: { connection: bullConnection(config.redisUrl), queueName: settings.queueName, prefix: settings.prefix },
          primarySide: async () => ((await flags.read()).enableSupabasePrimary ? 'b' : 'a'),
        }),
    },
    RunWorkerService,
    ReconcileScheduleService,
  ];
}
