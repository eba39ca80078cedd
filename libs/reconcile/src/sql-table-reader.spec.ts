import { z } from 'zod';
import type { EntityDefinition } from '@dualwrite/stores';
import { SqlTableReader } from './sql-table-reader';
import { Reconciler } from './reconciler';
import { ScratchDatabases } from '../test/scratch-databases';
import { EvenKeyCuts, evenKeyCuts, type KeyCuts } from './key-span';

/** An int-keyed table: text order of its keys (10 < 9) is not their order. */
const counters: EntityDefinition = {
  name: 'counters',
  table: 'counters',
  prismaModel: 'unused',
  primaryKey: 'id',
  keyStrategy: 'uuid',
  versionField: 'id',
  fields: {
    id: { type: 'int', column: 'id' },
    active: { type: 'boolean', column: 'active' },
    label: { type: 'string', column: 'label', nullable: true },
  },
  contract: z.object({}),
};

/** A uuid-keyed table. */
const tokens: EntityDefinition = {
  ...counters,
  name: 'tokens',
  table: 'tokens',
  fields: { id: { type: 'uuid', column: 'id' }, label: { type: 'string', column: 'label', nullable: true } },
};

const DDL = 'create table counters (id integer primary key, active boolean not null, label text)';
const SEED = "insert into counters select i, i % 2 = 0, 'label ' || i from generate_series(1, $1::int) as i";

describe('SqlTableReader', () => {
  const databases = new ScratchDatabases('reader');
  let a: SqlTableReader;

  beforeAll(async () => {
    await databases.create();
    for (const pool of [databases.a, databases.b]) {
      await pool.query(DDL);
      await pool.query(SEED, [120]);
    }
    // Keys spread over the whole uuid space, and 300 that share their first 5 bytes.
    await databases.a.query('create table tokens (id uuid primary key, label text)');
    await databases.a.query("insert into tokens select md5('t' || i)::uuid, 'token ' || i from generate_series(1, 500) as i");
    await databases.a.query("insert into tokens select ('0123456789' || substr(md5('s' || i), 1, 22))::uuid, null from generate_series(1, 300) as i");
    a = new SqlTableReader('a', databases.a);
  });

  afterAll(() => databases.drop());

  it('names the smallest and largest key in key order (9 … 120, not the text order 1 … 99)', async () => {
    await expect(a.keySpan(counters, { from: 9 })).resolves.toEqual({ count: 112, estimated: false, min: 9, max: 120 });
  });

  it('sizes a whole table that was never analysed by counting it, and one that was by the estimate', async () => {
    await expect(a.keySpan(counters, {})).resolves.toMatchObject({ count: 120, estimated: false });
    await databases.a.query('analyze counters');
    await expect(a.keySpan(counters, {})).resolves.toMatchObject({ count: 120, estimated: true, min: 1, max: 120 });
  });

  it('reads the rows of bounded and open-ended ranges in one query, in key order', async () => {
    const before = a.queries.ranges;
    const rows = await a.rowsOfRanges(counters, [{ to: 3 }, { from: 9, to: 11 }, { from: 50, to: 51 }, { from: 119 }]);
    expect(rows.map((row) => row['id'])).toEqual([1, 2, 9, 10, 50, 119, 120]);
    expect(rows[0]).toEqual({ id: 1, active: false, label: 'label 1' });
    expect(a.queries.ranges - before).toBe(1);
  });

  it('puts every row in the same part with cuts by arithmetic as with the same cuts as keys, keys outside the span too', async () => {
    const asKeys = (cuts: KeyCuts) => Array.from({ length: cuts.length }, (_, index) => cuts.at(index) as string | number);
    const cases: Array<[EntityDefinition, KeyCuts | undefined, object]> = [
      [counters, evenKeyCuts(counters, 1, 120, 7), {}],
      [counters, evenKeyCuts(counters, 30, 90, 5), {}],
      [counters, evenKeyCuts(counters, 30, 90, 5), { from: 20, to: 100 }],
      [tokens, evenKeyCuts(tokens, '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 37), {}],
      [tokens, evenKeyCuts(tokens, '40000000-0000-0000-0000-000000000000', 'a0000000-0000-0000-0000-000000000000', 9), {}],
      [tokens, evenKeyCuts(tokens, '01234567-8900-0000-0000-000000000000', '01234567-89ff-ffff-ffff-ffffffffffff', 11), {}],
      [tokens, evenKeyCuts(tokens, '01234567-8940-0000-0000-000000000000', '01234567-89c0-0000-0000-000000000000', 6), { from: '01234567-8900-0000-0000-000000000000' }],
    ];
    for (const [entity, cuts, range] of cases) {
      expect(cuts).toBeInstanceOf(EvenKeyCuts);
      const [byArithmetic, byKeys] = await Promise.all([a.segmentChecksums(entity, range, cuts as KeyCuts), a.segmentChecksums(entity, range, asKeys(cuts as KeyCuts))]);
      expect(byArithmetic).toEqual(byKeys);
      expect(byArithmetic.filter((part) => part.count > 0).length).toBeGreaterThan(1);
    }
  });

  it('gives the key and row digest of the rows of many ranges in key order, the digest telling changed rows apart', async () => {
    const ranges = [{ to: 3 }, { from: 9, to: 11 }, { from: 119 }];
    const b = new SqlTableReader('b', databases.b);
    await databases.b.query("update counters set label = 'changed' where id = 10");
    try {
      const [left, right] = await Promise.all([a.rowDigestsOfRanges(counters, ranges), b.rowDigestsOfRanges(counters, ranges)]);
      expect(left.map((row) => row.key)).toEqual([1, 2, 9, 10, 119, 120]);
      expect(right.map((row) => row.key)).toEqual([1, 2, 9, 10, 119, 120]);
      expect(left.map((row, index) => row.digest === right[index].digest)).toEqual([true, true, true, false, true, true]);
      expect(left[0].digest).toMatch(/^-?\d+$/);
    } finally {
      await databases.b.query("update counters set label = 'label 10' where id = 10");
    }
  });

  it('sees the same change made in opposite directions in two rows of one part (row digests do not cancel)', async () => {
    // Row 4 true → false and row 5 false → true on B: a digest that were a plain sum of one weighted hash per
    // value would move by +d and −d and find both parts equal.
    await databases.b.query('update counters set active = not active where id in (4, 5)');
    try {
      const b = new SqlTableReader('b', databases.b);
      const [left, right] = await Promise.all([a.segmentChecksums(counters, {}, [60]), b.segmentChecksums(counters, {}, [60])]);
      expect(left.map((part) => part.count)).toEqual([59, 61]);
      expect(left[0].checksum).not.toBe(right[0].checksum);
      expect(left[1]).toEqual(right[1]);

      const run = await new Reconciler({ entities: [counters], primary: a, secondary: b }).run('all', { rowCompareLimit: 200 });
      expect(run.entities[0].findings.map(({ key, field }) => `${key} ${field}`).sort()).toEqual(['4 active', '5 active']);
    } finally {
      await databases.b.query('update counters set active = not active where id in (4, 5)');
    }
  });
});
