import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { CopyAlreadyRunningError, RunAlreadyRunningError, type RunCoordinator, type RunSettings, type StartedRun } from '@dualwrite/reconcile';
import { RUN_COORDINATOR, RUN_SETTINGS } from './reconcile.constants';

export const NIGHTLY_RECONCILE_JOB = 'reconcile-nightly';

/**
 * The nightly reconcile (RECONCILE_CRON, default 03:00; `off` disables it): each tick starts a distributed reconcile
 * run of RECONCILE_CRON_ENTITIES through the RunCoordinator, which any worker executes. A run still going is not
 * doubled: the refusal (naming the running run) is logged and the tick does nothing.
 */
@Injectable()
export class ReconcileScheduleService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconcileScheduleService.name);

  constructor(
    @Inject(RUN_SETTINGS) private readonly settings: RunSettings,
    @Inject(RUN_COORDINATOR) private readonly coordinator: RunCoordinator,
    private readonly registry: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const cron = this.settings.reconcileCron;
    if (!cron) {
      this.logger.log('RECONCILE_CRON=off: no nightly reconcile');
      return;
    }
    const job = CronJob.from({ cronTime: cron, onTick: () => void this.tick(), start: false });
    this.registry.addCronJob(NIGHTLY_RECONCILE_JOB, job);
    job.start();
    this.logger.log(`${NIGHTLY_RECONCILE_JOB} scheduled: ${cron} (${this.describeEntities()})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.coordinator.close();
  }

  /** One tick: the run started, or null when one is running already (logged) or it could not start (logged). */
  async tick(): Promise<StartedRun | null> {
    try {
      const run = await this.coordinator.start({
        kind: 'reconcile',
        selection: this.settings.reconcileCronEntities,
        options: { segmentRows: this.settings.reconcileSegmentRows },
        requestedBy: 'schedule',
      });
      this.logger.log(`nightly reconcile run ${run.runId} started (${run.entities.join(', ')})`);
      return run;
    } catch (error) {
      if (error instanceof RunAlreadyRunningError || error instanceof CopyAlreadyRunningError) this.logger.warn(`nightly reconcile not started: ${error.message}`);
      else this.logger.error(`nightly reconcile could not start: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  private describeEntities(): string {
    const entities = this.settings.reconcileCronEntities;
    return entities === 'all' ? 'all entities' : entities.join(', ');
  }
}
