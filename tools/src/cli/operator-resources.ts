import { Pool } from 'pg';
import type { PlatformConfig } from '@dualwrite/config';
import { createExampleStores } from '@dualwrite/example-domain';
import type { StorePlugin } from '@dualwrite/stores';

/**
 * What the operator CLIs (copy, repair, verify, backfill) work with: both stores (plugins), store A's and (with
 * SUPABASE_DB_URL) store B's PostgreSQL, and the control database. The pools connect only when used.
 */
export interface OperatorResources {
  stores: { a: StorePlugin; b: StorePlugin };
  pools: { a: Pool; b: Pool | null; control: Pool };
  close(): Promise<void>;
}

/** `purpose` completes "there is no store B to …" when Supabase is not configured. */
export function openOperatorResources(config: PlatformConfig, purpose: string): OperatorResources {
  if (!config.supabase) throw new Error(`Supabase is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is no store B to ${purpose}.`);
  const stores = createExampleStores(config);
  const b = stores.b;
  if (!b) throw new Error('Supabase is not configured.');
  const pool = (url: string) => {
    const created = new Pool({ connectionString: url, max: 4 });
    created.on('error', () => undefined);
    return created;
  };
  const pools = { a: pool(config.primaryDatabaseUrl), b: config.supabase.dbUrl ? pool(config.supabase.dbUrl) : null, control: pool(config.controlDatabaseUrl) };
  return {
    stores: { a: stores.a, b },
    pools,
    close: async () => void (await Promise.allSettled([stores.a.close(), b.close(), pools.a.end(), pools.b?.end(), pools.control.end()])),
  };
}
