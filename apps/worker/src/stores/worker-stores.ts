import type { StorePair } from '@dualwrite/dual-write';
import type { PlatformConfig } from '@dualwrite/config';
import { createExampleStores } from '@dualwrite/example-domain';

export type StoreFactory = (config: PlatformConfig) => StorePair;

/** The example deployment's stores (the same as the api's), each bounded by STORE_CALL_TIMEOUT_MS on its side. */
export const createWorkerStores: StoreFactory = (config) => createExampleStores(config);
