import { Pool, type PoolClient } from 'pg';
import { z } from 'zod';
import type { EntityDefinition, Row } from '../entity/entity.types';
import { checksumOfRows } from './canonical-row';
import { buildKeysetPageSql, buildRangeChecksumSql, buildRangeCountSql, readRangeChecksumRow } from './sql-checksum';

/** One column of every field type, all nullable, in a temporary table private to this session. */
const everyType: EntityDefinition = {
  name: 'every_type',
  table: 'checksum_every_type',
  prismaModel: 'unused',
  primaryKey: 'id',
  keyStrategy: 'serial',
  versionField: 'changedAt',
  fields: {
    id: { type: 'int', column: 'id' },
    ref: { type: 'uuid', column: 'ref', nullable: true },
    label: { type: 'string', column: 'label', nullable: true },
    amount: { type: 'decimal', column: 'amount', nullable: true },
    active: { type: 'boolean', column: 'active', nullable: true },
    extra: { type: 'json', column: 'extra', nullable: true },
    changedAt: { type: 'timestamp', column: 'changed_at', nullable: true },
  },
  contract: z.object({}),
};

const rows: Row[] = [
  { id: 1, ref: 'ABCDEF00-1111-4222-8333-444455556666', label: 'Ünïcode "quoted"\ttab', amount: '12.50', active: true, extra: { z: [1, { b: null, a: 'x' }], aa: 1.25 }, changedAt: new Date('2026-01-02T03:04:05.678Z') },
  { id: 2, ref: null, label: null, amount: null, active: null, extra: null, changedAt: null },
  { id: 3, ref: '00000000-0000-4000-8000-000000000000', label: '', amount: '-0.01', active: false, extra: [], changedAt: new Date(0) },
  { id: 4, ref: null, label: 'big', amount: '123456789012.00', active: false, extra: { nested: { deep: [true, false] } }, changedAt: new Date('1969-12-31T23:59:59.999Z') },
];

describe('range checksum SQL', () => {
  let pool: Pool;
  let session: PoolClient;

  beforeAll(async () => {
    pool = new Pool({ connectionString: process.env['PRIMARY_DATABASE_URL'], max: 1 });
    session = await pool.connect();
    await session.query(
      `create temporary table checksum_every_type (
         id int primary key, ref uuid, label text, amount numeric(14, 2), active boolean, extra jsonb, changed_at timestamptz(3))`,
    );
    for (const row of rows) {
      await session.query('insert into checksum_every_type values ($1, $2, $3, $4, $5, $6, $7)', [
        row['id'], row['ref'], row['label'], row['amount'], row['active'], row['extra'] === null ? null : JSON.stringify(row['extra']), row['changedAt'],
      ]);
    }
  });

  afterAll(async () => {
    session.release();
    await pool.end();
  });

  async function sqlChecksum(range?: { from?: number; to?: number }) {
    const query = buildRangeChecksumSql(everyType, range);
    const result = await session.query(query.text, query.values);
    return readRangeChecksumRow(result.rows[0]);
  }

  it('gives the same digest as the JavaScript fallback over the same rows, NULLs included', async () => {
    await expect(sqlChecksum()).resolves.toEqual(checksumOfRows(everyType, rows));
  });

  it('covers only the rows of a [from, to) key range', async () => {
    await expect(sqlChecksum({ from: 2, to: 4 })).resolves.toEqual(checksumOfRows(everyType, rows.slice(1, 3)));
  });

  it('gives a different digest when one field differs', async () => {
    const changed = rows.map((row) => (row['id'] === 3 ? { ...row, active: true } : row));
    expect((await sqlChecksum()).checksum).not.toBe(checksumOfRows(everyType, changed).checksum);
  });

  it('counts the rows of a key range', async () => {
    const query = buildRangeCountSql(everyType, { from: 2 });
    const result = await session.query(query.text, query.values);
    expect(Number(result.rows[0].row_count)).toBe(3);
  });

  it('pages in key order after an exclusive key, within a range', async () => {
    const query = buildKeysetPageSql(everyType, { after: 1, limit: 2, range: { to: 4 } });
    const result = await session.query(query.text, query.values);
    expect(result.rows.map((row: Row) => row['id'])).toEqual([2, 3]);
  });

  it('binds key bounds as parameters instead of splicing them into the SQL', () => {
    const query = buildRangeChecksumSql(everyType, { from: 5, to: 9 });
    expect(query.values).toEqual([5, 9]);
    expect(query.text).toContain('"id" >= $1::bigint and "id" < $2::bigint');
  });

  it('orders and bounds text keys bytewise, whatever the column collation (ICU here)', async () => {
    const byName: EntityDefinition = {
      ...everyType,
      name: 'icu_keyed',
      table: 'checksum_icu_keyed',
      keyStrategy: 'uuid',
      fields: { name: { type: 'string', column: 'name' }, ref: { type: 'uuid', column: 'ref', nullable: true } },
      primaryKey: 'name',
    };
    await session.query('create temporary table checksum_icu_keyed (name text collate "en-x-icu" primary key, ref text)');
    // ICU puts a < B < b < é; bytewise (UTF-8) it is B < a < b < é.
    await session.query("insert into checksum_icu_keyed values ('b', null), ('a', null), ('é', null), ('B', 'ABCDEF00-1111-4222-8333-444455556666')");
    const page = buildKeysetPageSql(byName, { limit: 10 });
    const ordered = await session.query(page.text, page.values);
    expect(ordered.rows.map((row: Row) => row['name'])).toEqual(['B', 'a', 'b', 'é']);
    const bounded = buildKeysetPageSql(byName, { limit: 10, range: { from: 'B', to: 'b' } });
    expect((await session.query(bounded.text, bounded.values)).rows.map((row: Row) => row['name'])).toEqual(['B', 'a']);
    // The digest follows the same order, and a uuid kept as upper-case text reads like a uuid column.
    const checksum = buildRangeChecksumSql(byName);
    const jsRows = [{ name: 'B', ref: 'abcdef00-1111-4222-8333-444455556666' }, { name: 'a', ref: null }, { name: 'b', ref: null }, { name: 'é', ref: null }];
    expect(readRangeChecksumRow((await session.query(checksum.text, checksum.values)).rows[0])).toEqual(checksumOfRows(byName, jsRows));
  });
});
