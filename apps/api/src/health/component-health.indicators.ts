import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RedisConnections } from '@dualwrite/dual-write';
import type { StorePlugin } from '@dualwrite/stores';
import { API_STORES } from '../api.tokens';
import type { ApiStores } from '../stores/api-stores';
import { withTimeout } from './with-timeout';

const CHECK_TIMEOUT_MS = 3_000;

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One terminus indicator per component the API depends on. Indicators report down; they never throw. */
@Injectable()
export class ComponentHealthIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(API_STORES) private readonly stores: ApiStores,
    private readonly redis: RedisConnections,
  ) {}

  get degraded(): boolean {
    return this.stores.storeB === null;
  }

  storeA(): Promise<HealthIndicatorResult> {
    return this.storePing('storeA', this.stores.storeA);
  }

  async storeB(): Promise<HealthIndicatorResult> {
    if (!this.stores.storeB) {
      return this.indicators
        .check('storeB')
        .up({ configured: false, degraded: true, message: 'not configured, degraded: running on store A only' });
    }
    return this.storePing('storeB', this.stores.storeB);
  }

  async redisPing(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('redis');
    const started = performance.now();
    try {
      const reply = await withTimeout(this.redis.commands().ping(), CHECK_TIMEOUT_MS, 'Redis');
      const latencyMs = Math.round(performance.now() - started);
      return reply === 'PONG' ? session.up({ latencyMs }) : session.down({ latencyMs, message: `unexpected PING reply ${reply}` });
    } catch (error) {
      return session.down({ latencyMs: Math.round(performance.now() - started), message: reasonOf(error) });
    }
  }

  private async storePing(key: string, store: StorePlugin): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    try {
      const health = await withTimeout(store.ping(), CHECK_TIMEOUT_MS, `store ${store.name}`);
      const data = { store: health.store, latencyMs: health.latencyMs };
      return health.ok ? session.up(data) : session.down({ ...data, message: health.detail ?? 'ping failed' });
    } catch (error) {
      return session.down({ store: store.name, message: reasonOf(error) });
    }
  }
}
