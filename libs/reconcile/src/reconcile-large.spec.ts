import { SqlTableReader } from './sql-table-reader';
import { Reconciler } from './reconciler';
import { DRIFT_ITEMS_DDL, SEED_DRIFT_ITEMS_SQL, driftItems, driftKey } from '../test/drift-fixture';
import { ScratchDatabases } from '../test/scratch-databases';

const ROWS = 20_000;

describe('reconcile: 20,000 rows with 5 differences', () => {
  const databases = new ScratchDatabases('large');
  let a: SqlTableReader;
  let b: SqlTableReader;

  beforeAll(async () => {
    await databases.create();
    for (const pool of [databases.a, databases.b]) {
      await pool.query(DRIFT_ITEMS_DDL);
      await pool.query(SEED_DRIFT_ITEMS_SQL, [ROWS]);
      await pool.query('analyze drift_items');
    }
    await databases.b.query("update drift_items set label = 'drift' where id = any($1::uuid[])", [[driftKey(10), driftKey(5000)]]);
    await databases.b.query('delete from drift_items where id = $1', [driftKey(12_345)]);
    await databases.a.query('delete from drift_items where id = $1', [driftKey(19_999)]);
    await databases.a.query('update drift_items set amount = 0 where id = $1', [driftKey(777)]);
    a = new SqlTableReader('a', databases.a);
    b = new SqlTableReader('b', databases.b);
  });

  afterAll(() => databases.drop());

  it('finds exactly the 5 differences while checksumming only the mismatched segments and reading few rows', async () => {
    const reconciler = new Reconciler({ entities: [driftItems], primary: a, secondary: b });
    const run = await reconciler.run('all', { rowCompareLimit: 200 });
    const [result] = run.entities;

    expect(result.findings.map(({ key, kind, field }) => `${key} ${kind} ${field ?? ''}`).sort()).toEqual(
      [
        `${driftKey(10)} changed label`,
        `${driftKey(5000)} changed label`,
        `${driftKey(777)} changed amount`,
        `${driftKey(12_345)} missing_in_secondary `,
        `${driftKey(19_999)} missing_in_primary `,
      ].sort(),
    );
    // Both sides size the table and name its smallest and largest key, then checksum 200 parts of equal width in
    // the uuid key space (about 100 rows each: the keys are md5s) in one grouped pass each → the 5 parts holding a
    // difference are compared row by row; the other 195 are not read.
    expect(result.work).toMatchObject({ segmentsVisited: 200, segmentsMismatched: 5, segmentsComparedRowByRow: 5 });
    // Rows read into Node: 5 parts on both sides plus the re-check, against 40,000 for a full read.
    expect(result.work.rowsCompared).toBeLessThan(5 * 2 * 130 + 20);
    // Per side: one sizing query, one grouped checksum query and one read of the 5 parts' rows; no side is asked
    // for boundary keys (equal widths need none) and no part is read page by page.
    expect(a.queries).toMatchObject({ count: 1, checksum: 1, ranges: 1, boundaries: 0, page: 0 });
    expect(b.queries).toMatchObject({ count: 1, checksum: 1, ranges: 1, boundaries: 0, page: 0 });
  });
});
