import type Redis from 'ioredis';
import { closeRedis, openRedis } from '../queues/redis-connection';

/**
 * The process's shared Redis client for short commands (heartbeats, alert marks, the breaker board, health):
 * one connection, opened on first use and closed with the application.
 */
export class RedisConnections {
  private shared: Redis | null = null;

  constructor(private readonly redisUrl: string) {}

  commands(): Redis {
    if (!this.shared) {
      this.shared = openRedis(this.redisUrl, 'commands');
      this.shared.connect().catch(() => undefined);
    }
    return this.shared;
  }

  async close(): Promise<void> {
    if (this.shared) await closeRedis(this.shared);
    this.shared = null;
  }
}
