import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import { createPrismaClient } from './prisma-client';

/** What the example deployment's stores are built from (the platform configuration has this shape). */
export interface ExampleStoreSettings {
  primaryDatabaseUrl: string;
  /** Null: Supabase not configured, the platform runs on store A only. */
  supabase: { url: string; serviceRoleKey: string; dbUrl?: string } | null;
  /** STORE_CALL_TIMEOUT_MS: also bounds each store on its own side (statement_timeout, HTTP request timeout). */
  breaker?: { callTimeoutMs?: number };
}

/**
 * The example deployment's two stores: A, the Prisma client on PRIMARY_DATABASE_URL; B, supabase-js when Supabase
 * is configured. Nothing connects until the first query; the caller closes them.
 */
export function createExampleStores(settings: ExampleStoreSettings): { a: PrismaStore; b: SupabaseStore | null } {
  const callTimeoutMs = settings.breaker?.callTimeoutMs;
  return {
    a: new PrismaStore(createPrismaClient(settings.primaryDatabaseUrl, { statementTimeoutMs: callTimeoutMs }), { ownsClient: true }),
    b: settings.supabase
      ? new SupabaseStore({
          url: settings.supabase.url,
          serviceRoleKey: settings.supabase.serviceRoleKey,
          databaseUrl: settings.supabase.dbUrl,
          requestTimeoutMs: callTimeoutMs,
        })
      : null,
  };
}
