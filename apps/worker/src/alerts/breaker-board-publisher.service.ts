import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import {
  BreakerStateBoard,
  BreakerStatePublisher,
  DUAL_WRITE_CONTROL_SETTINGS,
  RedisConnections,
  StoreBreakers,
  platformRedisKeys,
  type ControlSettings,
} from '@dualwrite/dual-write';

/** Publishes the worker's own breakers (its replays to each store) to the breaker board, like the api does. */
@Injectable()
export class BreakerBoardPublisherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BreakerBoardPublisherService.name);
  private readonly publisher: BreakerStatePublisher;

  constructor(redis: RedisConnections, @Inject(DUAL_WRITE_CONTROL_SETTINGS) settings: ControlSettings, breakers: StoreBreakers) {
    const board = new BreakerStateBoard(redis.commands(), platformRedisKeys(settings.redisKeyPrefix).breakers);
    this.publisher = new BreakerStatePublisher(breakers, board, { onWarning: (message) => this.logger.warn(message) });
  }

  onApplicationBootstrap(): void {
    this.publisher.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.publisher.stop();
  }
}
