import { PrismaStore, SupabaseStore, type PlatformConfig, type StorePlugin } from '@dualwrite/dual-write';
import { createPrismaClient } from '@dualwrite/example-domain';

/** The two stores the API talks to. Store B is null when Supabase is not configured (degraded: A only). */
export interface ApiStores {
  storeA: StorePlugin;
  storeB: StorePlugin | null;
}

/** Builds the stores from configuration; nothing connects until the first query. */
export function createApiStores(config: PlatformConfig): ApiStores {
  const storeA = new PrismaStore(createPrismaClient(config.primaryDatabaseUrl), { ownsClient: true });
  const storeB = config.supabase
    ? new SupabaseStore({
        url: config.supabase.url,
        serviceRoleKey: config.supabase.serviceRoleKey,
        databaseUrl: config.supabase.dbUrl,
      })
    : null;
  return { storeA, storeB };
}
