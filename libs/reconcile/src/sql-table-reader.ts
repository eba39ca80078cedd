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
   * Every part's count and digest in one grouped query: `width_bucket` puts each row in the part its key falls in.
   * The digest is the sum of the first 60 bits of each canonical row's md5 (order-free, as data-diff does), so no
   * sort is needed; it is comparable only with another reader's `segmentChecksums`, never with `checksum`.
   * Counted as one checksum query.
   */
  async segmentChecksums(entity: EntityDefinition, range: KeyRange, boundaries: readonly RowKey[]): Promise<RangeChecksum[]> {
    this.queries.checksum += 1;
    const key = keyOrderSql(entity.fields[entity.primaryKey]);
    const where = keyRangeWhereSql(entity, range);
    const part = boundaries.length === 0 ? '0' : `width_bucket(${key}, $${where.values.length + 1}::${ARRAY_CAST[keyTypeOf(entity)]})`;
    const { rows } = await this.pool.query<{ part: number; row_count: string; digest: string | null }>(
      `select ${part} as part, count(*)::bigint as row_count,
              sum(('x' || substr(md5(${canonicalRowSql(entity)}), 1, 15))::bit(60)::bigint)::text as digest
         from ${qualifiedTable(entity, this.target)}${where.sql}
        group by 1`,
      boundaries.length === 0 ? where.values : [...where.values, boundaries.map(String)],
    );
    const parts: RangeChecksum[] = Array.from({ length: boundaries.length + 1 }, () => ({ count: 0, checksum: '0' }));
    for (const row of rows) parts[Number(row.part)] = { count: Number(row.row_count), checksum: row.digest ?? '0' };
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
