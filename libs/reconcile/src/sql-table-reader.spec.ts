import { z } from 'zod';
import type { EntityDefinition } from '@dualwrite/stores';
import { SqlTableReader } from './sql-table-reader';
import { Reconciler } from './reconciler';
import { ScratchDatabases } from '../test/scratch-databases';

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
