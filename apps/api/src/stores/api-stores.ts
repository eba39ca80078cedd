import { PrismaStore, SupabaseStore, type StorePlugin } from '@dualwrite/stores';
import { type PlatformConfig } from '@dualwrite/config';
import { createPrismaClient } from '@dualwrite/example-domain';

/** The two stores the API talks to. Store B is null when Supabase is not configured (degraded: A only). */
export interface ApiStores {
  storeA: StorePlugin;
  storeB: StorePlugin | null;
}

/**
 * Builds the stores from configuration; nothing connects until the first query. STORE_CALL_TIMEOUT_MS bounds
 * each store on its own side too: store A's statements (PostgreSQL statement_timeout), store B's HTTP requests.
 */
export function createApiStores(config: PlatformConfig): ApiStores {
  const storeA = new PrismaStore(createPrismaClient(config.primaryDatabaseUrl, { statementTimeoutMs: config.breaker.callTimeoutMs }), { ownsClient: true });
  const storeB = config.supabase
    ? new SupabaseStore({
        url: config.supabase.url,
        serviceRoleKey: config.supabase.serviceRoleKey,
        databaseUrl: config.supabase.dbUrl,
        requestTimeoutMs: config.breaker.callTimeoutMs,
      })
    : null;
  return { storeA, storeB };
}
