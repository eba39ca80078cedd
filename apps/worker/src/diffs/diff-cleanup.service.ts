import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DiffRepository } from '@dualwrite/dual-write';
import type { PlatformConfig } from '@dualwrite/config';
import { PLATFORM_CONFIG } from '../worker.constants';

/** Daily: removes info-level diffs older than DIFF_RETENTION_DAYS; warning and error diffs stay. */
@Injectable()
export class DiffCleanupService {
  private readonly logger = new Logger(DiffCleanupService.name);

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly diffs: DiffRepository,
  ) {}

  @Cron(CronExpression.EVERY_DAY_AT_3AM, { name: 'diff-cleanup' })
  async onSchedule(): Promise<void> {
    await this.removeExpiredInfoDiffs().catch((error: Error) =>
      this.logger.warn(`diff cleanup failed, next one tomorrow: ${error.message}`),
    );
  }

  /** Returns how many diffs were removed. */
  async removeExpiredInfoDiffs(): Promise<number> {
    const removed = await this.diffs.cleanup(this.config.worker.diffRetentionDays);
    this.logger.log(`diff cleanup removed ${removed} info diff(s) older than ${this.config.worker.diffRetentionDays} days`);
    return removed;
  }
}
