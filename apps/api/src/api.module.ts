import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { PlatformConfig } from '@dualwrite/dual-write';
import type { DestinationStream } from 'pino';
import { AdminAuthModule } from './admin-auth/admin-auth.module';
import { PLATFORM_CONFIG } from './api.tokens';
import { ExampleHostModule } from './example-host/example-host.module';
import { HealthModule } from './health/health.module';
import { StoreErrorFilter } from './http/store-error.filter';
import { LoggingModule } from './logging/logging.module';
import { RedisModule } from './redis/redis.module';
import { StoresModule } from './stores/stores.module';

export interface ApiModuleOptions {
  /** Where JSON log lines go; stdout when omitted. */
  logDestination?: DestinationStream;
}

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
        RedisModule,
        HealthModule,
        ExampleHostModule,
      ],
      providers: [{ provide: PLATFORM_CONFIG, useValue: config }, { provide: APP_FILTER, useClass: StoreErrorFilter }],
      exports: [PLATFORM_CONFIG],
    };
  }
}
