/** Injection tokens of the worker. */
export const WORKER_REDIS_URL = Symbol('WORKER_REDIS_URL');
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
export const WORKER_SETTINGS = Symbol('WORKER_SETTINGS');
export const WORKER_STORE_FACTORY = Symbol('WORKER_STORE_FACTORY');
