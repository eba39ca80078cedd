import type { Comparison, FieldDifference } from '@dualwrite/stores';
import { DiffPolicy } from './diff-policy';

function comparisonWith(differingFields: number): Comparison {
  const differences: FieldDifference[] = Array.from({ length: differingFields }, (_, index) => ({
    path: `$.field${index}`,
    field: `field${index}`,
    kind: 'changed',
    primary: 'a',
    secondary: 'b',
  }));
  return { equal: differingFields === 0, differences };
}

/** Returns the given values in turn. */
function randomSequence(...values: number[]): () => number {
  let next = 0;
  return () => values[next++ % values.length];
}

describe('DiffPolicy', () => {
  it('never records an equal comparison', () => {
    expect(new DiffPolicy().shouldRecord(comparisonWith(0))).toBe(false);
  });

  it('records every differing comparison by default', () => {
    expect(new DiffPolicy().shouldRecord(comparisonWith(1))).toBe(true);
  });

  it('records only comparisons with at least minDifferingFields differences', () => {
    const policy = new DiffPolicy({ minDifferingFields: 2 });
    expect(policy.shouldRecord(comparisonWith(1))).toBe(false);
    expect(policy.shouldRecord(comparisonWith(2))).toBe(true);
  });

  it('samples at sampleRate using the injected random source', () => {
    const policy = new DiffPolicy({ sampleRate: 0.25, random: randomSequence(0.1, 0.3, 0.249, 0.25) });
    const decisions = [1, 2, 3, 4].map(() => policy.shouldRecord(comparisonWith(1)));
    expect(decisions).toEqual([true, false, true, false]);
  });

  it('records nothing at sampleRate 0', () => {
    expect(new DiffPolicy({ sampleRate: 0, random: () => 0 }).shouldRecord(comparisonWith(3))).toBe(false);
  });

  it('records errors regardless of the thresholds when alwaysRecordErrors is set', () => {
    const policy = new DiffPolicy({ minDifferingFields: 5, sampleRate: 0, alwaysRecordErrors: true });
    expect(policy.shouldRecord(comparisonWith(1), 'error')).toBe(true);
    expect(policy.shouldRecord(comparisonWith(1), 'warning')).toBe(false);
  });

  it('rejects settings out of range', () => {
    expect(() => new DiffPolicy({ sampleRate: 1.5 })).toThrow(RangeError);
    expect(() => new DiffPolicy({ sampleRate: Number.NaN })).toThrow(RangeError);
    expect(() => new DiffPolicy({ minDifferingFields: 0 })).toThrow(RangeError);
  });
});
