import { Global, Logger, Module } from '@nestjs/common';
import type { PlatformConfig } from '@dualwrite/config';
import { API_STORES, PLATFORM_CONFIG } from '../api.tokens';
import { createApiStores, type ApiStores } from './api-stores';
import { StoresCloser } from './stores-closer.service';

/** Provides store A (Prisma) and store B (Supabase, or null when degraded) and closes them on shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: API_STORES,
      inject: [PLATFORM_CONFIG],
      useFactory: (config: PlatformConfig): ApiStores => {
        const stores = createApiStores(config);
        if (!stores.storeB) {
          new Logger('Stores').warn('store B (Supabase) not configured: running degraded on store A only');
        }
        return stores;
      },
    },
    StoresCloser,
  ],
  exports: [API_STORES],
})
export class StoresModule {}
