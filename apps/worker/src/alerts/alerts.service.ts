import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { AlertEvaluator, AlertNotifier, AlertSnapshotReader, BreakerStateBoard, FlagRepository, FlagService, RollbackGuard, type Alert, type AlertSnapshot, type Rollback } from '@dualwrite/dual-write';
import { type PlatformConfig } from '@dualwrite/config';
import Redis from 'ioredis';
import { ControlDatabase } from '../control/control-database';
import { PLATFORM_CONFIG } from '../worker.constants';
import { ALERT_SETTINGS, alertRedisKeys, type AlertSettings } from './alert-settings';

export interface AlertRun {
  snapshot: AlertSnapshot;
  alerts: Alert[];
  /** Alerts sent in this run (new incidents). */
  fired: Alert[];
  rollback: Rollback | null;
}

/**
 * Every minute: reads a snapshot of the control tables and the breaker board, evaluates the alert rules,
 * sends new alerts once (NOTIFICATION_WEBHOOK and the log), then lets the guard roll back when a rollback
 * rule fires (ROLLBACK_ENABLED). Several workers may run it: Redis marks make each alert and rollback happen once.
 */
@Injectable()
export class AlertsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(AlertsService.name);
  private readonly redis: Redis;
  private readonly flags: FlagService;
  private readonly reader: AlertSnapshotReader;
  private readonly evaluator: AlertEvaluator;
  private readonly notifier: AlertNotifier;
  private readonly guard: RollbackGuard;
  /** Runs one after another; a cron tick while one runs is skipped. */
  private chain: Promise<unknown> = Promise.resolve();
  private running = false;
  private stopped = false;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    @Inject(ALERT_SETTINGS) settings: AlertSettings,
    control: ControlDatabase,
  ) {
    const keys = alertRedisKeys(settings);
    this.redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.flags = new FlagService(new FlagRepository(control.pool), {
      redisUrl: config.redisUrl,
      cacheTtlMs: config.flagCacheTtlMs,
      onWarning: (message) => this.logger.warn(message),
    });
    this.reader = new AlertSnapshotReader(control.pool, new BreakerStateBoard(this.redis, keys.breakers), {
      windowMs: settings.windowMs,
      latencySampleSize: settings.latencySampleSize,
    });
    this.evaluator = new AlertEvaluator(settings.thresholds);
    this.notifier = new AlertNotifier({ redis: this.redis, logger: this.logger, webhookUrl: config.notificationWebhook, activeKey: keys.active });
    this.guard = new RollbackGuard({ flags: this.flags, redis: this.redis, logger: this.logger, enabled: config.rollbackEnabled, handledKey: keys.rolledBack });
  }

  async onModuleInit(): Promise<void> {
    this.redis.connect().catch(() => undefined);
    await this.flags.start();
  }

  @Cron(CronExpression.EVERY_MINUTE, { name: 'alerts' })
  async onSchedule(): Promise<void> {
    if (this.stopped || this.running) return;
    await this.runOnce().catch((error: Error) => this.logger.warn(`alert evaluation failed, next one in a minute: ${error.message}`));
  }

  /** One evaluation → notification → guard pass, after any pass already running. */
  async runOnce(): Promise<AlertRun> {
    const run = this.chain.then(() => this.evaluate());
    this.chain = run.catch(() => undefined);
    return run;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.chain;
    await this.flags.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async evaluate(): Promise<AlertRun> {
    this.running = true;
    try {
      const snapshot = await this.reader.read();
      const alerts = this.evaluator.evaluate(snapshot);
      const { fired } = await this.notifier.notify(alerts, snapshot.at);
      const rollback = await this.guard.act(alerts, snapshot);
      if (rollback) {
        await this.notifier.announce({
          type: 'auto-rollback',
          summary: rollback.reason,
          rule: rollback.alert.rule,
          from: rollback.from.name,
          to: rollback.to.name,
        });
      }
      return { snapshot, alerts, fired, rollback };
    } finally {
      this.running = false;
    }
  }
}
