import type { RedisOptions } from 'ioredis';

/** Queue names shared by producers (the dual-write module) and consumers (apps/worker). */
export const REPLAY_QUEUE = 'dw-replay';
export const DIFFS_QUEUE = 'dw-diffs';

/**
 * ioredis options for BullMQ from a redis:// URL. `maxRetriesPerRequest: null` is what BullMQ workers require;
 * producers pass `enableOfflineQueue: false` so an add fails fast while Redis is away instead of waiting.
 */
export function bullConnection(redisUrl: string, options: { failFast?: boolean } = {}): RedisOptions {
  const url = new URL(redisUrl);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, got ${url.protocol}`);
  }
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableOfflineQueue: !options.failFast,
  };
}
