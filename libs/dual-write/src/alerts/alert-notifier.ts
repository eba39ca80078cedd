import type Redis from 'ioredis';
import type { Alert } from './alert.types';
import type { AlertLogger } from './alert-logger';
import { platformRedisKeys } from '../queues/redis-keys';

/** The Redis hash of alerts currently firing (field: the alert key), shared by every worker process. */

export interface AlertNotifierOptions {
  redis: Redis;
  logger: AlertLogger;
  /** NOTIFICATION_WEBHOOK; absent: alerts are logged only. Treated as a secret (it often carries a token). */
  webhookUrl?: string;
  /** Default `dw:alerts:active`. */
  activeKey?: string;
  /** Longest a webhook POST may take. Default 5000 ms. */
  timeoutMs?: number;
}

export interface NotifyResult {
  /** Alerts that started firing in this run (logged, and POSTed when a webhook is set). */
  fired: Alert[];
  /** Keys already firing before this run: not sent again. */
  repeated: string[];
  /** Keys that stopped firing: the next time they fire they are sent again. */
  cleared: string[];
}

/** An event the platform announces once, outside the alert rules (e.g. the guard rolled back). */
export interface Announcement {
  type: string;
  summary: string;
  [detail: string]: unknown;
}

/**
 * Sends each alert once per incident: it is marked firing in Redis (HSETNX, so one worker process of many sends
 * it), logged and POSTed as JSON to the webhook; while it keeps firing nothing more is sent; when it stops, its
 * mark is removed and a later firing is a new incident. A failed POST removes the mark to retry next run.
 */
export class AlertNotifier {
  private readonly activeKey: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: AlertNotifierOptions) {
    this.activeKey = options.activeKey ?? platformRedisKeys().activeAlerts;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async notify(alerts: Alert[], at = new Date()): Promise<NotifyResult> {
    const result: NotifyResult = { fired: [], repeated: [], cleared: [] };
    for (const alert of alerts) {
      const marked = await this.options.redis.hsetnx(this.activeKey, alert.key, JSON.stringify({ firedAt: at.toISOString(), summary: alert.summary }));
      if (marked === 0) {
        result.repeated.push(alert.key);
        continue;
      }
      this.options.logger.warn(`ALERT ${alert.severity} ${alert.rule}: ${alert.summary}`);
      const delivered = await this.post({ type: 'alert', source: 'dual-write', ...alert, firedAt: at.toISOString() });
      if (delivered) result.fired.push(alert);
      else await this.options.redis.hdel(this.activeKey, alert.key);
    }
    const firing = new Set(alerts.map((alert) => alert.key));
    const cleared = (await this.options.redis.hkeys(this.activeKey)).filter((key) => !firing.has(key));
    if (cleared.length > 0) await this.options.redis.hdel(this.activeKey, ...cleared);
    for (const key of cleared) this.options.logger.log(`alert cleared: ${key}`);
    result.cleared = cleared;
    return result;
  }

  /** Logs the event and POSTs it once (no deduplication: the caller sends it once). */
  async announce(event: Announcement, at = new Date()): Promise<boolean> {
    this.options.logger.warn(`${event.type}: ${event.summary}`);
    return this.post({ source: 'dual-write', ...event, at: at.toISOString() });
  }

  /** True when delivered or when no webhook is configured (logging was the whole job). */
  private async post(body: Record<string, unknown>): Promise<boolean> {
    const url = this.options.webhookUrl;
    if (!url) return true;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return true;
      this.options.logger.warn(`NOTIFICATION_WEBHOOK answered ${response.status}; the alert is sent again next run`);
      return false;
    } catch (error) {
      this.options.logger.warn(`NOTIFICATION_WEBHOOK unreachable (${this.redacted(error)}); the alert is sent again next run`);
      return false;
    }
  }

  /** An error's text without the webhook URL, which may hold a token. */
  private redacted(error: unknown): string {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const text = `${error instanceof Error ? error.message : String(error)}${cause}`;
    const url = this.options.webhookUrl as string;
    const { pathname, search } = new URL(url);
    let redacted = text.split(url).join('<webhook>');
    for (const secret of [search, pathname.length > 1 ? pathname : '']) if (secret) redacted = redacted.split(secret).join('<redacted>');
    return redacted;
  }
}
