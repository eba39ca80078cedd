import { describeStoreContract } from '../testing/store-contract.suite';
import { SupabaseStore } from './supabase-store';
import { supabaseTestSettings, unreachableSupabase } from '../testing/supabase-test-env';

// Without SUPABASE_DB_URL every call, count and checksum included, goes through the REST API.
describeStoreContract('SupabaseStore (REST only)', async () => {
  const { url, serviceRoleKey } = supabaseTestSettings();
  const store = new SupabaseStore({ url, serviceRoleKey });
  if (store.usesDirectConnection) throw new Error('expected a REST-only store');
  return {
    store,
    createUnavailableStore: () => new SupabaseStore({ url: unreachableSupabase.url, serviceRoleKey, requestTimeoutMs: 2_000 }),
  };
});
