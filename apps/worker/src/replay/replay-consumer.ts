import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EntityRegistry } from '@dualwrite/stores';
import {
  DUAL_WRITE_CONTROL_SETTINGS,
  DUAL_WRITE_STORES,
  FlagService,
  KeySync,
  OperationLedger,
  ReplayProcessor,
  bullConnection,
  storesByName,
  type ControlSettings,
  type ReplayJobData,
  type StorePair,
} from '@dualwrite/dual-write';
import { type PlatformConfig } from '@dualwrite/config';
import { Worker, type Job } from 'bullmq';
import { PLATFORM_CONFIG } from '../worker.constants';

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Consumes `dw-replay`: each job makes the secondary hold what the primary holds for one operation.
 * A failed replay throws so BullMQ retries it with the job's back-off; the ledger counts the attempts
 * and, after the last one, marks the operation dead and the job completes.
 */
@Injectable()
export class ReplayConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReplayConsumer.name);
  private worker?: Worker<ReplayJobData>;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(DUAL_WRITE_CONTROL_SETTINGS) private readonly control: ControlSettings,
    private readonly ledger: OperationLedger,
    private readonly entities: EntityRegistry,
    @Inject(DUAL_WRITE_STORES) private readonly stores: StorePair,
    private readonly keySync: KeySync,
    private readonly flags: FlagService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.stores.b) {
      this.logger.warn(`store B is not configured: nothing to replay to, the ${this.control.replayQueue} consumer is not started`);
      return;
    }
    const processor = new ReplayProcessor({
      ledger: this.ledger,
      entities: this.entities,
      stores: storesByName(this.stores),
      maxAttempts: this.control.replayAttempts,
      keySync: this.keySync,
    });
    this.worker = new Worker<ReplayJobData>(this.control.replayQueue, (job) => this.replay(processor, job), {
      connection: bullConnection(this.config.redisUrl),
      concurrency: this.config.worker.replayConcurrency,
      lockDuration: this.config.worker.queueLockMs,
      stalledInterval: this.config.worker.queueStalledIntervalMs,
    });
    this.worker.on('error', (error) => this.logger.error(`${this.control.replayQueue}: ${error.message}`));
    await this.worker.waitUntilReady();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private async replay(processor: ReplayProcessor, job: Job<ReplayJobData>): Promise<void> {
    const { opId } = job.data;
    const { outcome, error, left } = await processor.replay(opId);
    for (const key of left ?? []) this.logger.warn(`operation ${opId}: ${key.reason}`);
    if (outcome === 'retry') throw new Error(`replay of operation ${opId} failed: ${reason(error)}`);
    if (outcome === 'dead') {
      this.logger.warn(
        `operation ${opId} is dead after ${this.control.replayAttempts} failed replays (${reason(error)}); an operator decides`,
      );
    }
  }
}
