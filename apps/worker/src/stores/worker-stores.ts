import type { StorePair } from '@dualwrite/dual-write';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import type { PlatformConfig } from '@dualwrite/config';
import { createPrismaClient } from '@dualwrite/example-domain';

export type StoreFactory = (config: PlatformConfig) => StorePair;

/** Store A on PRIMARY_DATABASE_URL through Prisma; store B through supabase-js when Supabase is configured. */
export const createWorkerStores: StoreFactory = (config) => ({
  a: new PrismaStore(createPrismaClient(config.primaryDatabaseUrl), { ownsClient: true }),
  b: config.supabase
    ? new SupabaseStore({ url: config.supabase.url, serviceRoleKey: config.supabase.serviceRoleKey, databaseUrl: config.supabase.dbUrl })
    : null,
});
