import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { PlatformConfig } from '@dualwrite/config';
import Redis from 'ioredis';
import { PLATFORM_CONFIG } from '../api.tokens';

/** The API's Redis connection: connects on first use and fails fast instead of queueing while Redis is down. */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    this.client = new Redis(config.redisUrl, {
      lazyConnect: true,
      connectTimeout: 2_000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
    });
    // Connection errors surface through the commands that fail (health reports them); without a listener
    // ioredis would print every reconnect attempt.
    this.client.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }
}
