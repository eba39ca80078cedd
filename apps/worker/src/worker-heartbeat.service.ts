import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DUAL_WRITE_CONTROL_SETTINGS, RedisConnections, platformRedisKeys, type ControlSettings } from '@dualwrite/dual-write';
import type Redis from 'ioredis';
import { hostname } from 'node:os';

const HEARTBEAT_INTERVAL_MS = 10_000;

/** Writes a heartbeat to Redis every 10 s (expiring after 30 s) so operators can see a worker is alive. */
@Injectable()
export class WorkerHeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerHeartbeatService.name);
  private readonly redis: Redis;
  private readonly key: string;
  private timer?: NodeJS.Timeout;

  constructor(redis: RedisConnections, @Inject(DUAL_WRITE_CONTROL_SETTINGS) settings: ControlSettings) {
    this.redis = redis.commands();
    this.key = platformRedisKeys(settings.redisKeyPrefix).workerHeartbeat;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  // Before the control plane closes the shared Redis connection (its onApplicationShutdown).
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // A stopped worker takes its heartbeat with it instead of leaving it to expire.
    await this.redis.del(this.key).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const value = JSON.stringify({ host: hostname(), pid: process.pid, at: new Date().toISOString() });
    await this.redis
      .set(this.key, value, 'PX', HEARTBEAT_INTERVAL_MS * 3)
      .catch((error: Error) => this.logger.warn(`heartbeat not written: ${error.message}`));
  }
}
