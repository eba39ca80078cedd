// @dualwrite/testing: helpers for specs only (never imported by product code; Nx module boundaries enforce it).

export { prepareControlDatabase } from './control-database';
export { freePort } from './free-port';
export { startEntryProcess, type EntryProcess, type EntryProcessExit } from './entry-process';
export { eventually } from '@dualwrite/stores/testing';
export { exampleTestDomain } from './example-test-domain';
export { onDatabase, scratchDatabaseUrl, scratchPool } from './scratch-databases';
export { createStoreDatabases, dropDatabases, startSupabaseLocal, stopSupabaseLocal, type StoreDatabaseNames } from './store-databases';
