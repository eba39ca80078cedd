import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import {
  AlertEvaluator,
  AlertNotifier,
  AlertSnapshotReader,
  BreakerStateBoard,
  DUAL_WRITE_CONTROL_POOL,
  DUAL_WRITE_CONTROL_SETTINGS,
  FlagSwitcher,
  RedisConnections,
  RollbackGuard,
  platformRedisKeys,
  type Alert,
  type AlertSnapshot,
  type ControlSettings,
  type Rollback,
} from '@dualwrite/dual-write';
import { type PlatformConfig } from '@dualwrite/config';
import type { Pool } from 'pg';
import { PLATFORM_CONFIG } from '../worker.constants';

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
export class AlertsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AlertsService.name);
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
    @Inject(DUAL_WRITE_CONTROL_SETTINGS) control: ControlSettings,
    @Inject(DUAL_WRITE_CONTROL_POOL) pool: Pool,
    redisConnections: RedisConnections,
    flags: FlagSwitcher,
  ) {
    const keys = platformRedisKeys(control.redisKeyPrefix);
    const redis = redisConnections.commands();
    this.reader = new AlertSnapshotReader(pool, new BreakerStateBoard(redis, keys.breakers), {
      windowMs: config.alerts.windowMs,
      latencySampleSize: config.alerts.latencySampleSize,
    });
    this.evaluator = new AlertEvaluator(config.alerts.thresholds);
    this.notifier = new AlertNotifier({ redis, logger: this.logger, webhookUrl: config.notificationWebhook, activeKey: keys.activeAlerts });
    this.guard = new RollbackGuard({ flags, redis, logger: this.logger, enabled: config.rollbackEnabled, handledKey: keys.rolledBack });
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
