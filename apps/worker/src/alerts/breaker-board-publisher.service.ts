import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BreakerStateBoard, BreakerStatePublisher, StoreBreakers } from '@dualwrite/dual-write';
import { type PlatformConfig } from '@dualwrite/config';
import Redis from 'ioredis';
import { PLATFORM_CONFIG } from '../worker.constants';
import { ALERT_SETTINGS, alertRedisKeys, type AlertSettings } from './alert-settings';

/** Publishes the worker's own breakers (its replays to each store) to the breaker board, like the api does. */
@Injectable()
export class BreakerBoardPublisherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BreakerBoardPublisherService.name);
  private readonly redis: Redis;
  private readonly publisher: BreakerStatePublisher;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig, @Inject(ALERT_SETTINGS) settings: AlertSettings, breakers: StoreBreakers) {
    this.redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.publisher = new BreakerStatePublisher(breakers, new BreakerStateBoard(this.redis, alertRedisKeys(settings).breakers), {
      onWarning: (message) => this.logger.warn(message),
    });
  }

  onApplicationBootstrap(): void {
    this.redis.connect().catch(() => undefined);
    this.publisher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.stop();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
