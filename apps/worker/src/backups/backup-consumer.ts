import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { openBackupWorker, type BackupJobData, type BackupService } from '@dualwrite/backup';
import { bullConnection } from '@dualwrite/dual-write';
import type { PlatformConfig } from '@dualwrite/config';
import type { Worker } from 'bullmq';
import { PLATFORM_CONFIG } from '../worker.constants';
import { WORKER_BACKUPS } from './worker-backups';

/** Consumes the backups queue (DW_BACKUP_QUEUE): backups, drills, validations, restores and retention, one at a time. */
@Injectable()
export class BackupConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackupConsumer.name);
  private worker?: Worker<BackupJobData>;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(WORKER_BACKUPS) private readonly backups: BackupService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const queue = this.config.backups.queue;
    this.worker = openBackupWorker(queue, bullConnection(this.config.redisUrl), this.backups, { lockDuration: this.config.worker.queueLockMs });
    this.worker.on('error', (error) => this.logger.error(`${queue}: ${error.message}`));
    this.worker.on('completed', (job) => this.logger.log(`${queue}: ${job.data.operation} job ${job.id} done`));
    this.worker.on('failed', (job, error) => this.logger.warn(`${queue}: ${job?.data.operation ?? 'a'} job ${job?.id ?? ''} failed: ${error.message}`));
    await this.worker.waitUntilReady();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.backups.close();
  }
}
