import type { Pool } from 'pg';
import {
  buildKeysetPageSql,
  buildRangeChecksumSql,
  buildRangeCountSql,
  canonicalRowSql,
  keyOrderSql,
  keyRangeWhereSql,
  qualifiedTable,
  quoteIdentifier,
  readRangeChecksumRow,
  toCanonicalRowFromColumns,
  type EntityDefinition,
  type KeyRange,
  type RangeChecksum,
  type Row,
  type RowKey,
  type SqlTarget,
} from '@dualwrite/stores';
import { keyFromText, keyTypeOf } from './key-order';
import type { KeyBoundarySource, ReconcileSide, SegmentChecksumSource } from './reconcile.types';

/** Queries a reader sent, by kind: what a run cost each database. */
export interface ReaderQueryCounts {
  count: number;
  checksum: number;
  page: number;
  byIds: number;
  boundaries: number;
}

/** md5('') : the checksum of a range without rows. */
const EMPTY_DIGEST = 'd41d8cd98f00b204e9800998ecf8427e';

const ARRAY_CAST = { int: 'bigint[]', uuid: 'uuid[]', string: 'text[]' } as const;

/**
 * Reads one store's tables over a plain PostgreSQL connection (store A's database, or store B's through
 * SUPABASE_DB_URL), with the same SQL the store plugins push down: range counts and checksums computed in the
 * database, keyset pages in collation-free key order, rows by key, and the keys that split a range evenly.
 * The pool belongs to the caller.
 */
export class SqlTableReader implements ReconcileSide, KeyBoundarySource, SegmentChecksumSource {
  readonly queries: ReaderQueryCounts = { count: 0, checksum: 0, page: 0, byIds: 0, boundaries: 0 };

  constructor(
    readonly name: string,
    private readonly pool: Pool,
    private readonly target: SqlTarget = {},
  ) {}

  async count(entity: EntityDefinition, range?: KeyRange): Promise<number> {
    this.queries.count += 1;
    const query = buildRangeCountSql(entity, range, this.target);
    const { rows } = await this.pool.query<{ row_count: string }>(query.text, query.values);
    return Number(rows[0]?.row_count ?? 0);
  }

  async checksum(entity: EntityDefinition, range?: KeyRange): Promise<RangeChecksum> {
    this.queries.checksum += 1;
    const query = buildRangeChecksumSql(entity, range, this.target);
    const { rows } = await this.pool.query(query.text, query.values);
    return readRangeChecksumRow(rows[0]);
  }

  /**
   * Every part's count and checksum in one grouped query: `width_bucket` puts each row in the part its key falls in
   * (same digest as `checksum` per part; a part without rows gets md5('')). Counted as one checksum query.
   */
  async segmentChecksums(entity: EntityDefinition, range: KeyRange, boundaries: readonly RowKey[]): Promise<RangeChecksum[]> {
    this.queries.checksum += 1;
    const key = keyOrderSql(entity.fields[entity.primaryKey]);
    const where = keyRangeWhereSql(entity, range);
    const cuts = `$${where.values.length + 1}::${ARRAY_CAST[keyTypeOf(entity)]}`;
    const { rows } = await this.pool.query(
      `select width_bucket(${key}, ${cuts}) as part, count(*)::bigint as row_count,
              md5(coalesce(string_agg(md5(${canonicalRowSql(entity)}), '' order by ${key}), '')) as checksum
         from ${qualifiedTable(entity, this.target)}${where.sql}
        group by 1`,
      [...where.values, boundaries.map(String)],
    );
    const empty: RangeChecksum = { count: 0, checksum: EMPTY_DIGEST };
    const parts: RangeChecksum[] = Array.from({ length: boundaries.length + 1 }, () => empty);
    for (const row of rows) parts[Number(row.part)] = readRangeChecksumRow(row);
    return parts;
  }

  async *stream(entity: EntityDefinition, options: { batchSize?: number; range?: KeyRange } = {}): AsyncIterable<Row> {
    const limit = options.batchSize ?? 500;
    const keyColumn = entity.fields[entity.primaryKey].column;
    let after: RowKey | undefined;
    for (;;) {
      this.queries.page += 1;
      const query = buildKeysetPageSql(entity, { after, limit, range: options.range }, this.target);
      const { rows } = await this.pool.query<Row>(query.text, query.values);
      for (const row of rows) yield toCanonicalRowFromColumns(entity, row);
      if (rows.length < limit) return;
      after = keyFromText(entity, String(rows[rows.length - 1][keyColumn]));
    }
  }

  async findManyByIds(entity: EntityDefinition, ids: RowKey[]): Promise<Row[]> {
    if (ids.length === 0) return [];
    this.queries.byIds += 1;
    const columns = Object.values(entity.fields).map((field) => quoteIdentifier(field.column));
    const key = keyOrderSql(entity.fields[entity.primaryKey]);
    const { rows } = await this.pool.query<Row>(
      `select ${columns.join(', ')} from ${qualifiedTable(entity, this.target)} where ${key} = any($1::${ARRAY_CAST[keyTypeOf(entity)]}) order by ${key}`,
      [ids.map(String)],
    );
    return rows.map((row) => toCanonicalRowFromColumns(entity, row));
  }

  /**
   * Every ⌈n/parts⌉-th key of the range in key order (one scan of the keys in index order; no row leaves the
   * database). With `rowsInRange` the step is known beforehand and the keys are not counted again.
   */
  async boundaries(entity: EntityDefinition, range: KeyRange, parts: number, rowsInRange?: number): Promise<RowKey[]> {
    if (!Number.isInteger(parts) || parts < 2) throw new Error(`A range is split into at least 2 parts, got ${parts}.`);
    this.queries.boundaries += 1;
    const key = keyOrderSql(entity.fields[entity.primaryKey]);
    const where = keyRangeWhereSql(entity, range);
    const step = rowsInRange === undefined ? `greatest(1, ceil(total::numeric / ${parts}))::bigint` : String(Math.max(1, Math.ceil(rowsInRange / parts)));
    const total = rowsInRange === undefined ? ', count(*) over () as total' : '';
    const { rows } = await this.pool.query<{ boundary: string }>(
      `select boundary from (
         select (${key})::text as boundary, row_number() over (order by ${key}) as n${total}
           from ${qualifiedTable(entity, this.target)}${where.sql}
       ) as numbered
       where n > 1 and (n - 1) % ${step} = 0
       order by n`,
      where.values,
    );
    return rows.map((row) => keyFromText(entity, row.boundary));
  }
}
