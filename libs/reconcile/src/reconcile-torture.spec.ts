import { SqlTableReader } from './sql-table-reader';
import { Reconciler } from './reconciler';
import { JSON_NUMBER_PAIR, SEED_TORTURE_NAMES_SQL, TORTURE_A_DDL, TORTURE_B_DDL, TORTURE_PAIRS, tortureNames, tortureRows } from '../test/torture-fixture';
import { ScratchDatabases } from '../test/scratch-databases';

describe('reconcile: no false differences on the type-torture tables', () => {
  const databases = new ScratchDatabases('torture');
  let reconciler: Reconciler;

  beforeAll(async () => {
    await databases.create();
    await databases.a.query(TORTURE_A_DDL);
    await databases.b.query(TORTURE_B_DDL);
    for (const pair of TORTURE_PAIRS) {
      await databases.a.query(`insert into torture_rows values ('${pair.id}', ${pair.a.join(', ')})`);
      await databases.b.query(`insert into torture_rows values ('${pair.idOnB}', ${pair.b.join(', ')})`);
    }
    await databases.a.query(SEED_TORTURE_NAMES_SQL('C'));
    await databases.b.query(SEED_TORTURE_NAMES_SQL('en-x-icu'));
    reconciler = new Reconciler({
      entities: [tortureRows, tortureNames],
      primary: new SqlTableReader('a', databases.a),
      secondary: new SqlTableReader('b', databases.b),
    });
  });

  afterAll(() => databases.drop());

  it('finds zero differences between equal data kept in different types, precisions and collations', async () => {
    const run = await reconciler.run(['torture_rows'], { rowCompareLimit: 4, splitFactor: 2 });
    const [result] = run.entities;
    expect(result.error).toBeUndefined();
    expect(result.counts).toEqual({ primary: TORTURE_PAIRS.length, secondary: TORTURE_PAIRS.length });
    expect(result.findings).toEqual([]);
    // Not even a checksum differs: the SQL canonical text agrees across these types too.
    expect(result.work).toMatchObject({ segmentsMismatched: 0, rowsCompared: 0 });
  });

  it('clears json numbers written differently (1.0 vs 1): the checksums differ, the rows compare equal', async () => {
    const pair = JSON_NUMBER_PAIR;
    await databases.a.query(`insert into torture_rows values ('${pair.id}', ${pair.a.join(', ')})`);
    await databases.b.query(`insert into torture_rows values ('${pair.idOnB}', ${pair.b.join(', ')})`);
    const run = await reconciler.run(['torture_rows'], { rowCompareLimit: 4, splitFactor: 2 });
    expect(run.entities[0].findings).toEqual([]);
    expect(run.entities[0].work.segmentsComparedRowByRow).toBe(1);
  });

  it('orders text keys bytewise on both stores: 3000 names under C and ICU fall in the same parts, all equal', async () => {
    const run = await reconciler.run(['torture_names'], { rowCompareLimit: 50 });
    const [result] = run.entities;
    expect(result.findings).toEqual([]);
    // 120 parts cut at A's keys; had B ordered its keys by ICU, its rows would land in other parts and differ.
    expect(result.work).toMatchObject({ segmentsVisited: 120, segmentsMismatched: 0, rowsCompared: 0 });
  });

  it('still finds a real difference in a text-keyed table under different collations', async () => {
    await databases.b.query("update torture_names set position = -1 where name = 'éü1234'");
    try {
      const run = await reconciler.run(['torture_names'], { rowCompareLimit: 50, splitFactor: 4 });
      expect(run.entities[0].findings.map(({ key, field }) => ({ key, field }))).toEqual([{ key: 'éü1234', field: 'position' }]);
    } finally {
      await databases.b.query("update torture_names set position = 1234 where name = 'éü1234'");
    }
  });

  it('known limit: a µs timestamp rounded (not truncated) into a ms column shows as a 1 ms info finding', async () => {
    // PostgreSQL rounds when it casts to timestamptz(3) (a SQL copy does this); the canonical form truncates to
    // the millisecond, because the stores' drivers hand Node Dates that have lost the microseconds.
    const id = '60000000-0000-4000-8000-000000000001';
    await databases.a.query(`insert into torture_rows (id, stamp) values ('${id}', '2026-01-02 03:04:05.678999+00')`);
    await databases.b.query(`insert into torture_rows (id, stamp) values ('${id}', timestamptz '2026-01-02 03:04:05.678999+00')`);
    try {
      const run = await reconciler.run(['torture_rows']);
      expect(run.entities[0].findings).toMatchObject([
        { key: id, field: 'stamp', primary: '2026-01-02T03:04:05.678Z', secondary: '2026-01-02T03:04:05.679Z', severity: 'info' },
      ]);
    } finally {
      await Promise.all([databases.a.query('delete from torture_rows where id = $1', [id]), databases.b.query('delete from torture_rows where id = $1', [id])]);
    }
  });
});
