import Redis, { type RedisOptions } from 'ioredis';

/** Default queue names; processes take theirs from the platform settings (DW_REPLAY_QUEUE, DW_DIFFS_QUEUE). */
export const REPLAY_QUEUE = 'dw-replay';
export const DIFFS_QUEUE = 'dw-diffs';

/**
 * What a connection is for, which decides how it behaves while Redis is away:
 * - `commands`: short commands (heartbeats, alert marks, health); a command waits for a reconnect, then fails.
 * - `fail-fast`: publishing; fails at once while disconnected instead of queueing.
 * - `subscriber`: pub/sub; retries forever, so the subscription comes back with Redis.
 */
export type RedisRole = 'commands' | 'fail-fast' | 'subscriber';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  commands: { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2_000 },
  'fail-fast': { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 },
  subscriber: { maxRetriesPerRequest: null, enableOfflineQueue: true },
};

/**
 * The one place the platform opens a Redis client. It connects lazily (call `connect()`, or let the first
 * command do it); connection errors surface through the commands that fail, never as an unhandled event.
 */
export function openRedis(redisUrl: string, role: RedisRole): Redis {
  const client = new Redis(redisUrl, { lazyConnect: true, ...ROLE_OPTIONS[role] });
  client.on('error', () => undefined);
  return client;
}

/** Closes a client whether or not it ever connected. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}

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
