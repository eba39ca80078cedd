import { parseWorkerSettings } from './worker-settings';

describe('worker settings', () => {
  it('defaults to the production queues, 4 replays at once, batches of 100 within 200 ms and 30 days of info diffs', () => {
    expect(parseWorkerSettings({})).toEqual({
      replayQueue: 'dw-replay',
      diffsQueue: 'dw-diffs',
      replayConcurrency: 4,
      replayAttempts: 8,
      diffBatchSize: 100,
      diffBatchWaitMs: 200,
      diffRetentionDays: 30,
      queueLockMs: 30_000,
      queueStalledIntervalMs: 30_000,
    });
  });

  it('names the variable of a malformed number', () => {
    expect(() => parseWorkerSettings({ DIFF_RETENTION_DAYS: '0' })).toThrow(
      'Invalid configuration: DIFF_RETENTION_DAYS must be a whole number of at least 1',
    );
  });

  it('names the variable of a queue name BullMQ cannot use', () => {
    expect(() => parseWorkerSettings({ DW_REPLAY_QUEUE: 'dw:replay' })).toThrow('Invalid configuration: DW_REPLAY_QUEUE must be a queue name');
  });
});
