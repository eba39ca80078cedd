import type { ApiStores } from '../stores/api-stores';

export interface StoreNames {
  a: string;
  b: string;
}

/** The stores' names for describing modes. Store B is Supabase even while unconfigured (degraded). */
export function storeNamesOf(stores: ApiStores): StoreNames {
  return { a: stores.storeA.name, b: stores.storeB?.name ?? 'supabase' };
}
