import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { BackupJobQueue, type BackupJobData } from '@dualwrite/backup';
import { bullConnection } from '@dualwrite/dual-write';
import type { PlatformConfig } from '@dualwrite/config';
import { PLATFORM_CONFIG } from '../worker.constants';

/**
 * The backup schedule (BACKUP_FULL_CRON, BACKUP_INCREMENTAL_CRON, BACKUP_DRILL_CRON, for BACKUP_STORES): each tick
 * queues jobs on the backups queue, so they run one at a time with progress, whoever else queued work there. A full
 * backup is followed by retention (BACKUP_KEEP_FULL, BACKUP_KEEP_DAYS).
 */
@Injectable()
export class BackupScheduleService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackupScheduleService.name);
  private queue?: BackupJobQueue;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly registry: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const settings = this.config.backups;
    if (settings.stores.length === 0) {
      this.logger.log('BACKUP_STORES=off: no scheduled backups');
      return;
    }
    this.queue = new BackupJobQueue(settings.queue, bullConnection(this.config.redisUrl));
    this.schedule('backup-full', settings.fullCron, () => this.fullBackups());
    this.schedule('backup-incremental', settings.incrementalCron, () => this.jobs(settings.stores.map((store) => ({ operation: 'backup', store, kind: 'incremental', requestedBy: 'schedule' }))));
    this.schedule('backup-drill', settings.drillCron, () => this.jobs(settings.stores.map((store) => ({ operation: 'drill', store, requestedBy: 'schedule' }))));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.queue?.close();
  }

  /** The jobs one full-backup tick queues: a full backup per store, then retention. */
  fullBackups(): Promise<string[]> {
    const { stores, keepFull, keepDays } = this.config.backups;
    return this.jobs([
      ...stores.map((store): BackupJobData => ({ operation: 'backup', store, kind: 'full', requestedBy: 'schedule' })),
      { operation: 'retention', keepFull, keepDays, requestedBy: 'schedule' },
    ]);
  }

  private schedule(name: string, cron: string | null, tick: () => Promise<unknown>): void {
    if (!cron) return;
    const job = CronJob.from({
      cronTime: cron,
      onTick: () => {
        void tick().catch((error: Error) => this.logger.warn(`${name}: could not queue the scheduled jobs: ${error.message}`));
      },
      start: false,
    });
    this.registry.addCronJob(name, job);
    job.start();
    this.logger.log(`${name} scheduled: ${cron}`);
  }

  private async jobs(data: BackupJobData[]): Promise<string[]> {
    if (!this.queue) return [];
    const ids: string[] = [];
    for (const job of data) ids.push((await this.queue.enqueue(job)).jobId);
    return ids;
  }
}
