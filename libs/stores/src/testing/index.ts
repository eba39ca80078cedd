// @dualwrite/stores/testing: for specs only. The store contract suite every plugin must pass, and the
// settings of the Supabase endpoint the tests run against.

export { describeStoreContract, type StoreContractSubject } from './store-contract.suite';
export { supabaseTestSettings, unreachableSupabase } from './supabase-test-env';
