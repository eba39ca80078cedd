import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EntityRegistry } from '@dualwrite/stores';
import { OperationLedger, ReplayProcessor, StoreBreakers, bullConnection, type ReplayJobData } from '@dualwrite/dual-write';
import { type PlatformConfig } from '@dualwrite/config';
import { Worker, type Job } from 'bullmq';
import type { WorkerSettings } from '../config/worker-settings';
import { WorkerStores } from '../stores/worker-stores';
import { PLATFORM_CONFIG, WORKER_SETTINGS } from '../worker.constants';

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
    @Inject(WORKER_SETTINGS) private readonly settings: WorkerSettings,
    private readonly ledger: OperationLedger,
    private readonly entities: EntityRegistry,
    private readonly stores: WorkerStores,
    private readonly breakers: StoreBreakers,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.stores.b) {
      this.logger.warn(`store B is not configured: nothing to replay to, the ${this.settings.replayQueue} consumer is not started`);
      return;
    }
    const processor = new ReplayProcessor({
      ledger: this.ledger,
      entities: this.entities,
      stores: this.stores.byName(),
      maxAttempts: this.settings.replayAttempts,
      guard: (store, call) => this.breakers.execute(store, () => call()),
    });
    this.worker = new Worker<ReplayJobData>(this.settings.replayQueue, (job) => this.replay(processor, job), {
      connection: bullConnection(this.config.redisUrl),
      concurrency: this.settings.replayConcurrency,
      lockDuration: this.settings.queueLockMs,
      stalledInterval: this.settings.queueStalledIntervalMs,
    });
    this.worker.on('error', (error) => this.logger.error(`${this.settings.replayQueue}: ${error.message}`));
    await this.worker.waitUntilReady();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private async replay(processor: ReplayProcessor, job: Job<ReplayJobData>): Promise<void> {
    const { opId } = job.data;
    const { outcome, error } = await processor.replay(opId);
    if (outcome === 'retry') throw new Error(`replay of operation ${opId} failed: ${reason(error)}`);
    if (outcome === 'dead') {
      this.logger.warn(
        `operation ${opId} is dead after ${this.settings.replayAttempts} failed replays (${reason(error)}); an operator decides`,
      );
    }
  }
}
