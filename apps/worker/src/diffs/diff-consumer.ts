import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DUAL_WRITE_CONTROL_SETTINGS, bullConnection, type ControlSettings, type DiffRecord } from '@dualwrite/dual-write';
import { type PlatformConfig } from '@dualwrite/config';
import { Worker } from 'bullmq';
import { PLATFORM_CONFIG } from '../worker.constants';
import { DiffBatcher } from './diff-batcher';

/**
 * Consumes `dw-diffs` into dual_write_diffs. Jobs run as many at once as a batch holds, each waiting for its
 * batch to be stored, so one insert statement completes up to a batch of jobs.
 */
@Injectable()
export class DiffConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DiffConsumer.name);
  private worker?: Worker<DiffRecord>;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(DUAL_WRITE_CONTROL_SETTINGS) private readonly control: ControlSettings,
    private readonly batcher: DiffBatcher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new Worker<DiffRecord>(this.control.diffsQueue, (job) => this.batcher.add(job.data), {
      connection: bullConnection(this.config.redisUrl),
      concurrency: this.config.worker.diffBatchSize,
      lockDuration: this.config.worker.queueLockMs,
      stalledInterval: this.config.worker.queueStalledIntervalMs,
      // A diff is cheap to store twice and costly to lose: let a job survive a few worker crashes.
      maxStalledCount: 3,
    });
    this.worker.on('error', (error) => this.logger.error(`${this.control.diffsQueue}: ${error.message}`));
    await this.worker.waitUntilReady();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Running jobs are waiting on their batch; close() lets them finish, then nothing is left in the batcher.
    await this.worker?.close();
    await this.batcher.flush();
  }
}
