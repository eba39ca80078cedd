import {
  InvalidPipelineProgressError,
  PIPELINE_STEPS,
  nextPipelineAction,
  type PipelineAction,
  type PipelineProgress,
  type StepOutcome,
} from './pipeline-decision';

const ok = (...steps: (typeof PIPELINE_STEPS)[number][]) => steps.map((step) => ({ step, outcome: 'succeeded' as const }));
const failed = (step: (typeof PIPELINE_STEPS)[number]) => ({ step, outcome: 'failed' as const });
const BACKUP = 'backup-1';

/** Every consistent progress and what must happen next. */
const DECISIONS: { name: string; progress: PipelineProgress; next: PipelineAction }[] = [];
for (const rollbackEnabled of [true, false]) {
  const at = `rollback ${rollbackEnabled ? 'on' : 'off'}`;
  DECISIONS.push(
    { name: `${at}: nothing run yet → check`, progress: { rollbackEnabled, steps: [] }, next: { kind: 'run', step: 'check' } },
    { name: `${at}: check passed → backup`, progress: { rollbackEnabled, steps: ok('check') }, next: { kind: 'run', step: 'backup' } },
    {
      name: `${at}: check found nothing pending → up to date, no notification`,
      progress: { rollbackEnabled, steps: [{ step: 'check', outcome: 'nothing_pending' }] },
      next: { kind: 'finish', result: 'up_to_date', notify: false },
    },
    {
      name: `${at}: check failed → failed, database untouched, notified`,
      progress: { rollbackEnabled, steps: [failed('check')] },
      next: { kind: 'finish', result: 'failed_unchanged', notify: true },
    },
    {
      name: `${at}: backup failed → failed, database untouched, notified`,
      progress: { rollbackEnabled, steps: [...ok('check'), failed('backup')] },
      next: { kind: 'finish', result: 'failed_unchanged', notify: true },
    },
    { name: `${at}: backup taken → deploy`, progress: { rollbackEnabled, steps: ok('check', 'backup'), backupId: BACKUP }, next: { kind: 'run', step: 'deploy' } },
    {
      name: `${at}: deployed → validate`,
      progress: { rollbackEnabled, steps: ok('check', 'backup', 'deploy'), backupId: BACKUP },
      next: { kind: 'run', step: 'validate' },
    },
    {
      name: `${at}: validated → health`,
      progress: { rollbackEnabled, steps: ok('check', 'backup', 'deploy', 'validate'), backupId: BACKUP },
      next: { kind: 'run', step: 'health' },
    },
    {
      name: `${at}: healthy → deployed, no notification`,
      progress: { rollbackEnabled, steps: ok('check', 'backup', 'deploy', 'validate', 'health'), backupId: BACKUP },
      next: { kind: 'finish', result: 'deployed', notify: false },
    },
  );
}
for (const step of ['deploy', 'validate', 'health'] as const) {
  const before = ok(...PIPELINE_STEPS.slice(0, PIPELINE_STEPS.indexOf(step)));
  const steps = [...before, failed(step)];
  DECISIONS.push(
    {
      name: `rollback on: ${step} failed → restore the backup`,
      progress: { rollbackEnabled: true, steps, backupId: BACKUP },
      next: { kind: 'restore', backupId: BACKUP },
    },
    {
      name: `rollback on: ${step} failed, backup restored → failed and rolled back, notified`,
      progress: { rollbackEnabled: true, steps, backupId: BACKUP, restore: 'succeeded' },
      next: { kind: 'finish', result: 'failed_rolled_back', notify: true },
    },
    {
      name: `rollback on: ${step} failed, restore failed too → failed, restore failed, notified`,
      progress: { rollbackEnabled: true, steps, backupId: BACKUP, restore: 'failed' },
      next: { kind: 'finish', result: 'failed_restore_failed', notify: true },
    },
    {
      name: `rollback off: ${step} failed → failed, not rolled back, notified`,
      progress: { rollbackEnabled: false, steps, backupId: BACKUP },
      next: { kind: 'finish', result: 'failed_not_rolled_back', notify: true },
    },
  );
}

describe('nextPipelineAction', () => {
  it.each(DECISIONS.map((decision) => [decision.name, decision] as const))('%s', (_name, { progress, next }) => {
    expect(nextPipelineAction(progress)).toEqual(next);
  });

  it('refuses every other progress (all step prefixes × outcomes × rollback × restore × backup id) as inconsistent', () => {
    const key = (progress: PipelineProgress) => JSON.stringify(progress);
    const known = new Map(DECISIONS.map((decision) => [key(decision.progress), decision.next]));
    const outcomes: StepOutcome[] = ['succeeded', 'failed', 'nothing_pending'];
    let checked = 0;
    let refused = 0;
    const walk = (steps: PipelineProgress['steps']) => {
      for (const rollbackEnabled of [true, false]) {
        for (const restore of [undefined, 'succeeded', 'failed'] as const) {
          for (const backupId of [undefined, BACKUP]) {
            const progress: PipelineProgress = {
              rollbackEnabled,
              steps,
              ...(backupId === undefined ? {} : { backupId }),
              ...(restore === undefined ? {} : { restore }),
            };
            checked += 1;
            const expected = known.get(key(progress));
            if (expected) {
              expect(nextPipelineAction(progress)).toEqual(expected);
            } else {
              expect(() => nextPipelineAction(progress)).toThrow(InvalidPipelineProgressError);
              refused += 1;
            }
          }
        }
      }
      if (steps.length === PIPELINE_STEPS.length) return;
      for (const outcome of outcomes) walk([...steps, { step: PIPELINE_STEPS[steps.length], outcome }]);
    };
    walk([]);
    expect(checked).toBe(364 * 12);
    expect(checked - refused).toBe(DECISIONS.length);
  });

  it('refuses steps out of order, naming the step', () => {
    expect(() => nextPipelineAction({ rollbackEnabled: true, steps: ok('backup') })).toThrow('step 1 is backup, expected check');
  });

  it('refuses a restore when rollback is disabled', () => {
    expect(() =>
      nextPipelineAction({ rollbackEnabled: false, steps: [...ok('check', 'backup'), failed('deploy')], backupId: BACKUP, restore: 'succeeded' }),
    ).toThrow('a restore without a failure after the backup and rollback enabled');
  });
});
