export const WORKER_REDIS_URL = Symbol('WORKER_REDIS_URL');
