// @dualwrite/stores/testing: for specs only. The store contract suite every plugin must pass, its own fixture
// entities (the contract_* tables both stores' migrations install), a Prisma client for them, and the
// settings of the Supabase endpoint the tests run against.

export { describeStoreContract, type StoreContractSubject } from './store-contract.suite';
export {
  contractFixtures,
  contractItems,
  contractNotes,
  contractOwners,
  contractPosts,
} from './contract-fixtures';
export { createFixturePrismaClient, type FixturePrismaClient } from './fixture-prisma-client';
export { supabaseTestSettings, unreachableSupabase } from './supabase-test-env';
