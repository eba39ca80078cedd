import { budgetsEntity, commentsEntity, postsEntity, usersEntity } from '@dualwrite/example-domain';
import { planChunks } from './chunk-plan';
import { parentsFirst } from './table-order';
import { DEFAULT_BACKOFF_RULES, TokenBucket, nextSpeedFactor, type LatencySample } from './throttle';

describe('planChunks', () => {
  it('cuts the key order at every chunk-size-th key, the last chunk open above the last boundary', () => {
    expect(planChunks({ rows: 7, boundaries: ['c', 'f'] }, 3)).toEqual([
      { chunkNo: 1, afterKey: null, upToKey: 'c', rows: 3 },
      { chunkNo: 2, afterKey: 'c', upToKey: 'f', rows: 3 },
      { chunkNo: 3, afterKey: 'f', upToKey: null, rows: 1 },
    ]);
  });

  it('opens the last full chunk when the rows fill the chunks exactly (no empty tail chunk)', () => {
    expect(planChunks({ rows: 6, boundaries: ['c', 'f'] }, 3)).toEqual([
      { chunkNo: 1, afterKey: null, upToKey: 'c', rows: 3 },
      { chunkNo: 2, afterKey: 'c', upToKey: null, rows: 3 },
    ]);
  });

  it('gives an empty table one open chunk, so rows written meanwhile are still copied', () => {
    expect(planChunks({ rows: 0, boundaries: [] }, 100)).toEqual([{ chunkNo: 1, afterKey: null, upToKey: null, rows: 0 }]);
  });

  it('refuses a plan whose boundaries do not match its row count, and a chunk size that is no positive integer', () => {
    expect(() => planChunks({ rows: 7, boundaries: ['c'] }, 3)).toThrow('a plan of 7 rows has 2 boundaries at 3 rows, not 1');
    expect(() => planChunks({ rows: 7, boundaries: [] }, 0)).toThrow('chunk size must be a positive integer, got 0');
  });
});

describe('parentsFirst', () => {
  const edges = [
    { child: 'budgets', parent: 'users' },
    { child: 'posts', parent: 'users' },
    { child: 'comments', parent: 'posts' },
    { child: 'comments', parent: 'users' },
  ];

  it('puts every parent table before its children whatever order they were asked in', () => {
    const order = parentsFirst([commentsEntity, budgetsEntity, postsEntity, usersEntity], edges).map((entity) => entity.name);
    expect(order).toEqual(['users', 'budgets', 'posts', 'comments']);
  });

  it('keeps the asked order where no foreign key decides, and ignores parents outside the selection and self-references', () => {
    const order = parentsFirst([commentsEntity, budgetsEntity], [...edges, { child: 'budgets', parent: 'budgets' }]).map((entity) => entity.name);
    expect(order).toEqual(['comments', 'budgets']);
  });

  it('refuses a cycle, naming its tables', () => {
    expect(() => parentsFirst([usersEntity, postsEntity], [...edges, { child: 'users', parent: 'posts' }])).toThrow(
      'the foreign keys of users, posts form a cycle: no parent-first order to copy them in',
    );
  });
});

describe('nextSpeedFactor (the back-off rule)', () => {
  const baseline: LatencySample = { p95Ms: 100, writes: 1000 };
  const recent = (p95Ms: number | null, writes = 100): LatencySample => ({ p95Ms, writes });

  it.each([
    // [current, recent p95, expected, why]
    [1, 160, 0.5, 'risen by more than half and by 5 ms or more: half speed'],
    [0.5, 400, 0.25, 'still high: half again'],
    [1 / 16, 400, 1 / 16, 'never below 1/16 of the rate'],
    [0.5, 110, 1, 'back within 20 % of the baseline: double'],
    [0.25, 130, 0.25, 'between recover and rise: unchanged'],
    [1, 149, 1, 'below the rise threshold at full speed: unchanged'],
    [1, 100, 1, 'at the baseline: full speed stays full'],
  ])('at %p with a recent p95 of %p ms → %p (%s)', (current, p95, expected) => {
    expect(nextSpeedFactor(current, baseline, recent(p95))).toBe(expected);
  });

  it('needs a rise of 5 ms as well as 50 %: a 1 ms baseline going to 3 ms is no back-off (and counts as recovered)', () => {
    expect(nextSpeedFactor(0.5, { p95Ms: 1, writes: 1000 }, recent(3))).toBe(1);
    expect(nextSpeedFactor(1, { p95Ms: 1, writes: 1000 }, recent(6))).toBe(0.5);
  });

  it('speeds up when the recent window has too few writes to tell (the primary is quiet)', () => {
    expect(nextSpeedFactor(0.25, baseline, recent(80, DEFAULT_BACKOFF_RULES.minWrites - 1))).toBe(0.5);
    expect(nextSpeedFactor(0.25, baseline, recent(null, 0))).toBe(0.5);
  });

  it('keeps its speed without a baseline (too few writes before the copy) to compare with', () => {
    expect(nextSpeedFactor(0.5, null, recent(80))).toBe(0.5);
    expect(nextSpeedFactor(1, { p95Ms: 1, writes: 3 }, recent(80))).toBe(1);
  });
});

describe('TokenBucket', () => {
  function clocked(rate: number) {
    let now = 0;
    const slept: number[] = [];
    const bucket = new TokenBucket(
      rate,
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    return { bucket, slept, elapsed: () => now };
  }

  it('lets one second of rows through at once, then holds the rate', async () => {
    const { bucket, elapsed } = clocked(100);
    await bucket.take(100);
    expect(elapsed()).toBe(0);
    for (let i = 0; i < 10; i += 1) await bucket.take(50);
    expect(elapsed()).toBeGreaterThanOrEqual(5000);
    expect(elapsed()).toBeLessThanOrEqual(5010);
  });

  it('holds the rate for takes larger than the bucket (chunks bigger than a second of rows)', async () => {
    const { bucket, elapsed } = clocked(100);
    for (let i = 0; i < 5; i += 1) await bucket.take(500);
    // 2500 rows at 100/s: the first second is the bucket's, then 24 s of debt minus the last take's own.
    expect(elapsed()).toBeGreaterThanOrEqual(19_000);
    expect(elapsed()).toBeLessThanOrEqual(20_010);
  });

  it('slows down when its rate is lowered (the back-off)', async () => {
    const { bucket, elapsed } = clocked(100);
    await bucket.take(100);
    bucket.setRate(25);
    await bucket.take(25);
    expect(elapsed()).toBeGreaterThanOrEqual(1000);
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new TokenBucket(0)).toThrow('rate must be a positive number of rows per second, got 0');
    expect(() => new TokenBucket(Number.NaN)).toThrow('rate must be a positive number of rows per second, got NaN');
  });
});
