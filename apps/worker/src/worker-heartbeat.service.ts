import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { hostname } from 'node:os';
import { WORKER_REDIS_URL } from './worker.constants';

export const WORKER_HEARTBEAT_KEY = 'dw:worker:heartbeat';
const HEARTBEAT_INTERVAL_MS = 10_000;

/** Writes a heartbeat to Redis every 10 s (expiring after 30 s) so operators can see a worker is alive. */
@Injectable()
export class WorkerHeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHeartbeatService.name);
  private readonly redis: Redis;
  private timer?: NodeJS.Timeout;

  constructor(@Inject(WORKER_REDIS_URL) redisUrl: string) {
    this.redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.redis.connect();
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // A stopped worker takes its heartbeat with it instead of leaving it to expire.
    await this.redis.del(WORKER_HEARTBEAT_KEY).catch(() => undefined);
    await this.redis.quit().catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const value = JSON.stringify({ host: hostname(), pid: process.pid, at: new Date().toISOString() });
    await this.redis
      .set(WORKER_HEARTBEAT_KEY, value, 'PX', HEARTBEAT_INTERVAL_MS * 3)
      .catch((error: Error) => this.logger.warn(`heartbeat not written: ${error.message}`));
  }
}
