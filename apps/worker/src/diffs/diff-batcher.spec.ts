import type { DiffRecord } from '@dualwrite/dual-write';
import { testDiff } from '../testing/worker-test-app';
import { DiffBatcher } from './diff-batcher';

describe('DiffBatcher', () => {
  it('stores a full batch at once and the rest when the wait is over, one statement per batch', async () => {
    const batches: DiffRecord[][] = [];
    const batcher = new DiffBatcher(async (diffs) => batches.push(diffs), { maxBatch: 3, maxWaitMs: 20 });
    const diffs = Array.from({ length: 4 }, () => testDiff());

    await Promise.all(diffs.map((diff) => batcher.add(diff)));

    expect(batches.map((batch) => batch.map((diff) => diff.diffId))).toEqual([
      diffs.slice(0, 3).map((diff) => diff.diffId),
      [diffs[3]?.diffId],
    ]);
    expect(batcher.batchesStored).toBe(2);
  });

  it('fails every diff of a batch whose insert failed, so each job is retried', async () => {
    const batcher = new DiffBatcher(() => Promise.reject(new Error('control database unreachable')), { maxBatch: 2, maxWaitMs: 20 });

    const outcomes = await Promise.allSettled([batcher.add(testDiff()), batcher.add(testDiff())]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });
});
