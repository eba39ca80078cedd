import { databaseNameOf } from './database-url';
import { nextPipelineAction, type PipelineProgress, type PipelineResult, type PipelineStep, type StepOutcome } from './pipeline-decision';
import type { PipelineBackups } from './pipeline-backups';
import { runPipelineStep } from './pipeline-steps';
import type { PipelineLimits, PipelineTarget } from './pipeline-target';
import type { PipelineNotification, PipelineNotifier } from './webhook-notifier';

export interface MigrationPipelineOptions {
  target: PipelineTarget;
  backups: PipelineBackups;
  /** NOTIFICATION_WEBHOOK; none: failures are only reported. */
  notifier?: PipelineNotifier;
  /** ROLLBACK_ENABLED. */
  rollbackEnabled: boolean;
  limits: PipelineLimits;
  /** One line per step started and finished, for a terminal. */
  onProgress?: (line: string) => void;
}

export interface PipelineStepReport {
  step: PipelineStep;
  outcome: StepOutcome;
  durationMs: number;
  detail?: unknown;
  /** What went wrong: the problems the step found, or the error that stopped it. */
  errors?: string[];
}

export interface PipelineReport {
  store: string;
  database: string;
  result: PipelineResult;
  steps: PipelineStepReport[];
  backupId?: string;
  restore?: { outcome: 'succeeded' | 'failed'; durationMs: number; error?: string };
  notification: 'not_needed' | 'not_configured' | 'sent' | { failed: string };
}

const elapsed = (started: number) => Math.round(performance.now() - started);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs check → backup → deploy → validate → health on one database, asking nextPipelineAction what to do after
 * each step (restore the backup after a failure past it when rollback is enabled; notify on every failure).
 */
export class MigrationPipeline {
  constructor(private readonly options: MigrationPipelineOptions) {}

  async run(): Promise<PipelineReport> {
    const { target, rollbackEnabled } = this.options;
    const progress: PipelineProgress = { rollbackEnabled, steps: [] };
    const report: Omit<PipelineReport, 'result' | 'notification'> = { store: target.store, database: databaseNameOf(target.databaseUrl), steps: [] };
    for (;;) {
      const action = nextPipelineAction(progress);
      if (action.kind === 'run') {
        const stepReport = await this.runStep(action.step);
        report.steps.push(stepReport);
        progress.steps.push({ step: action.step, outcome: stepReport.outcome });
        const backupId = (stepReport.detail as { backupId?: string } | undefined)?.backupId;
        if (action.step === 'backup' && stepReport.outcome === 'succeeded' && backupId) {
          progress.backupId = backupId;
          report.backupId = backupId;
        }
        continue;
      }
      if (action.kind === 'restore') {
        this.progress(`restore: restoring backup ${action.backupId} (${this.options.backups.kind})`);
        const started = performance.now();
        try {
          await this.options.backups.restore(target, action.backupId);
          progress.restore = 'succeeded';
          report.restore = { outcome: 'succeeded', durationMs: elapsed(started) };
        } catch (error) {
          progress.restore = 'failed';
          report.restore = { outcome: 'failed', durationMs: elapsed(started), error: messageOf(error) };
        }
        this.progress(`restore: ${progress.restore}${report.restore.error ? ` (${report.restore.error})` : ''}`);
        continue;
      }
      const finished = { ...report, result: action.result };
      const notification = action.notify ? await this.notify(finished) : 'not_needed';
      return { ...finished, notification };
    }
  }

  /** One step on its own (the single-step commands use this too); an error becomes a failed step. */
  async runStep(step: PipelineStep): Promise<PipelineStepReport> {
    const { target, backups, limits } = this.options;
    this.progress(`${step}: running`);
    const started = performance.now();
    let stepReport: PipelineStepReport;
    try {
      const run = await runPipelineStep(step, target, backups, limits);
      stepReport = { step, outcome: run.outcome, durationMs: elapsed(started), detail: run.detail, ...(run.problems?.length ? { errors: run.problems } : {}) };
    } catch (error) {
      stepReport = { step, outcome: 'failed', durationMs: elapsed(started), errors: [messageOf(error)] };
    }
    this.progress(`${step}: ${stepReport.outcome.replace('_', ' ')} in ${stepReport.durationMs} ms${stepReport.errors ? `\n  ${stepReport.errors.join('\n  ')}` : ''}`);
    return stepReport;
  }

  private async notify(report: Omit<PipelineReport, 'notification'>): Promise<PipelineReport['notification']> {
    if (!this.options.notifier) return 'not_configured';
    const failed = report.steps.find((step) => step.outcome === 'failed');
    const payload: PipelineNotification = {
      event: 'migration_pipeline_failed',
      store: report.store,
      database: report.database,
      result: report.result,
      ...(failed ? { failedStep: failed.step, error: failed.errors?.join('; ') } : {}),
      ...(report.backupId ? { backupId: report.backupId } : {}),
      rolledBack: report.restore?.outcome === 'succeeded',
      ...(report.restore?.error ? { restoreError: report.restore.error } : {}),
      steps: report.steps.map(({ step, outcome, durationMs, errors }) => ({ step, outcome, durationMs, ...(errors ? { error: errors.join('; ') } : {}) })),
      at: new Date().toISOString(),
    };
    try {
      await this.options.notifier.notify(payload);
      return 'sent';
    } catch (error) {
      return { failed: messageOf(error) };
    }
  }

  private progress(line: string): void {
    this.options.onProgress?.(line);
  }
}
