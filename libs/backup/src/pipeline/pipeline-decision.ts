/**
 * The migration pipeline's order and its rollback decision, as one pure function: given what has happened so
 * far, what happens next. The runner (MigrationPipeline) only executes what this returns.
 *
 * check → backup → deploy → validate → health. Nothing pending after check: finish, nothing to do. A failure
 * of check or backup: nothing was changed, finish failed. A failure after the backup (deploy, validate, health):
 * with rollback enabled, restore the backup, then finish; with it disabled, finish failed and leave the database
 * as it is. Every failed finish notifies.
 */

export const PIPELINE_STEPS = ['check', 'backup', 'deploy', 'validate', 'health'] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** `nothing_pending`: check found no migration to apply and no reason to stop (only check reports it). */
export type StepOutcome = 'succeeded' | 'failed' | 'nothing_pending';

export interface PipelineProgress {
  rollbackEnabled: boolean;
  /** The steps run so far, in order, with their outcomes. */
  steps: { step: PipelineStep; outcome: StepOutcome }[];
  /** Set once the backup step succeeded. */
  backupId?: string;
  /** Set once a restore of the backup was attempted. */
  restore?: 'succeeded' | 'failed';
}

export type PipelineResult =
  /** Every step passed; the migrations are applied. */
  | 'deployed'
  /** Nothing pending, nothing changed. */
  | 'up_to_date'
  /** check or backup failed: the database was not touched. */
  | 'failed_unchanged'
  /** A step after the backup failed and the backup was restored. */
  | 'failed_rolled_back'
  /** A step after the backup failed; ROLLBACK_ENABLED=false left the database as the failure left it. */
  | 'failed_not_rolled_back'
  /** A step after the backup failed and restoring the backup failed too: the database needs an operator. */
  | 'failed_restore_failed';

export type PipelineAction =
  | { kind: 'run'; step: PipelineStep }
  | { kind: 'restore'; backupId: string }
  | { kind: 'finish'; result: PipelineResult; notify: boolean };

export class InvalidPipelineProgressError extends Error {
  constructor(reason: string) {
    super(`Invalid pipeline progress: ${reason}`);
    this.name = 'InvalidPipelineProgressError';
  }
}

const finish = (result: PipelineResult): PipelineAction => ({ kind: 'finish', result, notify: result.startsWith('failed') });

export function nextPipelineAction(progress: PipelineProgress): PipelineAction {
  assertConsistent(progress);
  const last = progress.steps[progress.steps.length - 1];
  if (!last) return { kind: 'run', step: 'check' };
  if (last.outcome === 'nothing_pending') return finish('up_to_date');
  if (last.outcome === 'succeeded') {
    const index = PIPELINE_STEPS.indexOf(last.step);
    return index === PIPELINE_STEPS.length - 1 ? finish('deployed') : { kind: 'run', step: PIPELINE_STEPS[index + 1] };
  }
  // A failure.
  if (last.step === 'check' || last.step === 'backup') return finish('failed_unchanged');
  if (!progress.rollbackEnabled) return finish('failed_not_rolled_back');
  if (progress.restore === undefined) return { kind: 'restore', backupId: progress.backupId as string };
  return finish(progress.restore === 'succeeded' ? 'failed_rolled_back' : 'failed_restore_failed');
}

function assertConsistent(progress: PipelineProgress): void {
  progress.steps.forEach(({ step, outcome }, index) => {
    if (step !== PIPELINE_STEPS[index]) {
      throw new InvalidPipelineProgressError(`step ${index + 1} is ${step}, expected ${PIPELINE_STEPS[index]}`);
    }
    if (index < progress.steps.length - 1 && outcome !== 'succeeded') {
      throw new InvalidPipelineProgressError(`${step} ${outcome} but later steps ran`);
    }
    if (outcome === 'nothing_pending' && step !== 'check') {
      throw new InvalidPipelineProgressError(`only check can find nothing pending, not ${step}`);
    }
  });
  const backupDone = progress.steps.some(({ step, outcome }) => step === 'backup' && outcome === 'succeeded');
  if (backupDone !== (progress.backupId !== undefined)) {
    throw new InvalidPipelineProgressError(backupDone ? 'the backup succeeded without an id' : 'a backup id without a successful backup');
  }
  if (progress.restore !== undefined) {
    const last = progress.steps[progress.steps.length - 1];
    const restorable = last?.outcome === 'failed' && backupDone && progress.rollbackEnabled;
    if (!restorable) throw new InvalidPipelineProgressError('a restore without a failure after the backup and rollback enabled');
  }
}
