import type { Pool } from 'pg';
import { GateEvidenceReader } from '@dualwrite/reconcile';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DualWriteMetricsModule, DualWriteModule } from '@dualwrite/dual-write';
import { type PlatformConfig } from '@dualwrite/config';
import type { DestinationStream } from 'pino';
import { AdminAuthModule } from './admin-auth/admin-auth.module';
import { AdminModule } from './admin/admin.module';
import { BackupsAdminModule } from './admin/backups/backups-admin.module';
import { ConsistencyModule } from './admin/consistency/consistency.module';
import { RunsAdminModule } from './admin/reconcile/runs-admin.module';
import { API_STORES, PLATFORM_CONFIG } from './api.tokens';
import { EXAMPLE_ENTITIES } from './example-host/example-entities';
import { ContractViolationFilter } from './http/contract-violation.filter';
import type { ApiStores } from './stores/api-stores';
import { ExampleHostModule } from './example-host/example-host.module';
import { HealthModule } from './health/health.module';
import { StoreErrorFilter } from './http/store-error.filter';
import { LoggingModule } from './logging/logging.module';
import { StoresModule } from './stores/stores.module';

export interface ApiModuleOptions {
  /** Where JSON log lines go; stdout when omitted. */
  logDestination?: DestinationStream;
}

const dualWriteLogger = new Logger('DualWrite');

@Module({})
export class ApiModule {
  static forRoot(config: PlatformConfig, options: ApiModuleOptions = {}): DynamicModule {
    return {
      module: ApiModule,
      global: true,
      imports: [
        LoggingModule.forRoot({ level: config.logLevel, destination: options.logDestination }),
        AdminAuthModule.forRoot(config.adminTokens),
        StoresModule,
        HealthModule,
        DualWriteModule.forRootAsync({
          inject: [API_STORES],
          useFactory: (stores: ApiStores) => ({
            stores: { a: stores.storeA, b: stores.storeB },
            entities: EXAMPLE_ENTITIES,
            controlDatabaseUrl: config.controlDatabaseUrl,
            redisUrl: config.redisUrl,
            redisKeyPrefix: config.redisKeyPrefix,
            processKind: 'api',
            queues: config.queues,
            flagCacheTtlMs: config.flagCacheTtlMs,
            secondaryTimeoutMs: config.secondaryTimeoutMs,
            syncGatherMs: config.syncGatherMs,
            shadowReadRate: config.shadowReadRate,
            batchInserts: config.batchInserts,
            breakers: { settings: config.breaker },
            phaseGates: {
              evidence: (pool: Pool) => new GateEvidenceReader(pool, { a: stores.storeA.name, b: stores.storeB?.name ?? null }),
              reconcileMaxAgeMs: config.phaseGates.reconcileMaxAgeMs,
            },
            // StoresModule owns and closes the stores.
            closeStores: false,
            onWarning: (message: string) => dualWriteLogger.warn(message),
          }),
        }),
        DualWriteMetricsModule,
        ExampleHostModule,
        AdminModule,
        BackupsAdminModule,
        ConsistencyModule,
        RunsAdminModule,
      ],
      providers: [{ provide: PLATFORM_CONFIG, useValue: config }, { provide: APP_FILTER, useClass: StoreErrorFilter }, { provide: APP_FILTER, useClass: ContractViolationFilter }],
      exports: [PLATFORM_CONFIG],
    };
  }
}
