// @dualwrite/stores/testing: for specs only. The store contract suite every plugin must pass, its own fixture
// entities (the contract_* tables both stores' migrations install), a Prisma client for them, the
// settings of the Supabase endpoint the tests run against, and InMemoryStore: the one in-memory store allowed,
// for exploring the write engine's interleavings with fast-check's scheduler (it passes the contract suite); and
// `eventually`, the specs' poll-until helper (here, at the bottom of the graph, so every lib's spec kits can use it).

export { describeStoreContract, type StoreContractSubject } from './store-contract.suite';
export {
  contractFixtures,
  contractFixtureSchema,
  contractItems,
  contractNotes,
  contractOwners,
  contractPosts,
} from './contract-fixtures';
export {
  InMemoryStore,
  type InMemoryForeignKey,
  type InMemorySchema,
  type InMemoryStoreCall,
  type InMemoryStoreGate,
  type InMemoryStoreMethod,
  type InMemoryStoreOptions,
  type InMemoryUniqueConstraint,
} from './in-memory-store';
export { createFixturePrismaClient, type FixturePrismaClient } from './fixture-prisma-client';
export { supabaseTestSettings, unreachableSupabase } from './supabase-test-env';
export { eventually } from './eventually';
