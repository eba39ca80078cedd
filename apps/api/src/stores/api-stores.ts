import type { StorePlugin } from '@dualwrite/stores';
import { type PlatformConfig } from '@dualwrite/config';
import { createExampleStores } from '@dualwrite/example-domain';

/** The two stores the API talks to. Store B is null when Supabase is not configured (degraded: A only). */
export interface ApiStores {
  storeA: StorePlugin;
  storeB: StorePlugin | null;
}

/** Builds the stores from configuration (createExampleStores); nothing connects until the first query. */
export function createApiStores(config: PlatformConfig): ApiStores {
  const { a, b } = createExampleStores(config);
  return { storeA: a, storeB: b };
}
