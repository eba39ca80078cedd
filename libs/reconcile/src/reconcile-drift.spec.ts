import { SqlTableReader } from './sql-table-reader';
import { Reconciler } from './reconciler';
import type { Finding } from './reconcile.types';
import { DRIFT_ITEMS_DDL, SEED_DRIFT_ITEMS_SQL, driftItems, driftKey } from '../test/drift-fixture';
import { ScratchDatabases } from '../test/scratch-databases';

/** What identifies a finding: key, kind and field. */
function identity(finding: Pick<Finding, 'key' | 'kind' | 'field'>): string {
  return `${finding.key} ${finding.kind} ${finding.field ?? '(row)'}`;
}

describe('reconcile: seeded drift of every kind on two PostgreSQL databases', () => {
  const databases = new ScratchDatabases('drift');
  let a: SqlTableReader;
  let b: SqlTableReader;
  let reconciler: Reconciler;

  beforeAll(async () => {
    await databases.create();
    for (const pool of [databases.a, databases.b]) {
      await pool.query(DRIFT_ITEMS_DDL);
      await pool.query(SEED_DRIFT_ITEMS_SQL, [60]);
    }
    a = new SqlTableReader('a', databases.a);
    b = new SqlTableReader('b', databases.b);
    reconciler = new Reconciler({ entities: [driftItems], primary: a, secondary: b });
  });

  afterAll(() => databases.drop());

  it('finds nothing when both stores hold the same rows, and reads no row to learn it', async () => {
    const run = await reconciler.run('all');
    const [result] = run.entities;
    expect(result.counts).toEqual({ primary: 60, secondary: 60 });
    expect(result.findings).toEqual([]);
    expect(result.work).toMatchObject({ segmentsMismatched: 0, rowsCompared: 0 });
  });

  it('reports exactly the seeded drift: rows missing on each side and one changed field of every type', async () => {
    const drift: Array<{ n: number; side: 'a' | 'b'; sql: string; kind: Finding['kind']; field?: string }> = [
      { n: 3, side: 'b', sql: 'delete from drift_items where id = $1', kind: 'missing_in_secondary' },
      { n: 17, side: 'b', sql: 'delete from drift_items where id = $1', kind: 'missing_in_secondary' },
      { n: 29, side: 'a', sql: 'delete from drift_items where id = $1', kind: 'missing_in_primary' },
      { n: 5, side: 'b', sql: "update drift_items set label = 'changed' where id = $1", kind: 'changed', field: 'label' },
      { n: 8, side: 'b', sql: "update drift_items set label = 'caf' || U&'\\00E9' where id = $1", kind: 'changed', field: 'label' },
      { n: 11, side: 'b', sql: 'update drift_items set amount = amount + 0.01 where id = $1', kind: 'changed', field: 'amount' },
      { n: 13, side: 'b', sql: 'update drift_items set active = not active where id = $1', kind: 'changed', field: 'active' },
      { n: 19, side: 'b', sql: "update drift_items set extra = extra || '{\"n\": -1}' where id = $1", kind: 'changed', field: 'extra' },
      { n: 23, side: 'b', sql: 'update drift_items set quantity = quantity + 1 where id = $1', kind: 'changed', field: 'quantity' },
      { n: 31, side: 'b', sql: "update drift_items set changed_at = changed_at + interval '1 millisecond' where id = $1", kind: 'changed', field: 'changedAt' },
      { n: 37, side: 'b', sql: "update drift_items set ref = 'ffffffff-0000-4000-8000-000000000000' where id = $1", kind: 'changed', field: 'ref' },
      { n: 41, side: 'a', sql: 'update drift_items set label = null where id = $1', kind: 'changed', field: 'label' },
    ];
    // Row 8 holds "café" composed on A (NFC) and decomposed on B (NFD): as stored, they differ.
    await databases.a.query("update drift_items set label = 'caf' || U&'\\00E9' where id = $1", [driftKey(8)]);
    await databases.b.query("update drift_items set label = 'cafe' || U&'\\0301' where id = $1", [driftKey(8)]);
    for (const change of drift.filter((item) => item.n !== 8)) await databases[change.side].query(change.sql, [driftKey(change.n)]);

    const run = await reconciler.run(['drift_items']);
    const [result] = run.entities;

    expect(result.findings.map(identity).sort()).toEqual(
      drift.map((change) => identity({ key: driftKey(change.n), kind: change.kind, field: change.field })).sort(),
    );
    expect(result.counts).toEqual({ primary: 59, secondary: 58 });
    expect(result.missingInSecondary.sort()).toEqual([driftKey(3), driftKey(17)].sort());
    expect(result.missingInPrimary).toEqual([driftKey(29)]);
    expect(result.differingFields.find((finding) => finding.key === driftKey(11))).toMatchObject({
      field: 'amount',
      primary: '13.75',
      secondary: '13.76',
      severity: 'error',
      ledger: 'quiet',
    });
    expect(result.differingFields.find((finding) => finding.key === driftKey(5))).toMatchObject({ primary: 'label 5', secondary: 'changed', severity: 'warning' });
    expect(result.differingFields.find((finding) => finding.key === driftKey(31))).toMatchObject({
      primary: '2026-01-01T00:00:31.000Z',
      secondary: '2026-01-01T00:00:31.001Z',
      severity: 'info',
    });
    expect(result.severity).toEqual({ error: 4, warning: 7, info: 1 });
    expect(run.totals.findings).toBe(12);
  });

  it('goes on with the other entities when one cannot be read, naming what failed', async () => {
    const missingTable = { ...driftItems, name: 'not_there', table: 'not_there' };
    const run = await new Reconciler({ entities: [missingTable, driftItems], primary: a, secondary: b }).run('all');
    expect(run.entities[0]).toMatchObject({ entity: 'not_there', findings: [] });
    expect(run.entities[0].error).toMatch(/relation "not_there" does not exist/);
    expect(run.entities[1]).toMatchObject({ entity: 'drift_items', counts: { primary: 59, secondary: 58 } });
    expect(run.entities[1].error).toBeUndefined();
  });
});
