import type { StorePair } from '@dualwrite/dual-write';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import type { PlatformConfig } from '@dualwrite/config';
import { createPrismaClient } from '@dualwrite/example-domain';

export type StoreFactory = (config: PlatformConfig) => StorePair;

/**
 * Store A on PRIMARY_DATABASE_URL through Prisma; store B through supabase-js when Supabase is configured. Each
 * bounded on its own side by STORE_CALL_TIMEOUT_MS (statement_timeout, HTTP request timeout), like the api's.
 */
export const createWorkerStores: StoreFactory = (config) => ({
  a: new PrismaStore(createPrismaClient(config.primaryDatabaseUrl, { statementTimeoutMs: config.breaker.callTimeoutMs }), { ownsClient: true }),
  b: config.supabase
    ? new SupabaseStore({
        url: config.supabase.url,
        serviceRoleKey: config.supabase.serviceRoleKey,
        databaseUrl: config.supabase.dbUrl,
        requestTimeoutMs: config.breaker.callTimeoutMs,
      })
    : null,
});
