import type { Pool } from 'pg';
import {
  buildKeysetPageSql,
  buildRangeChecksumSql,
  buildRangeCountSql,
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
import { EvenKeyCuts, type KeyCuts, type KeySpan } from './key-span';
import type { KeyBoundarySource, KeySpanSource, RangeRowsSource, ReconcileSide, RowDigest, RowDigestSource, SegmentChecksumSource } from './reconcile.types';
import { MILLISECOND_TIMESTAMP_COLUMNS_SQL, rowDigestSql } from './row-digest-sql';

/** Queries a reader sent, by kind: what a run cost each database. */
export interface ReaderQueryCounts {
  count: number;
  checksum: number;
  page: number;
  byIds: number;
  boundaries: number;
  /** Reads of the rows of many ranges at once (`rowsOfRanges`). */
  ranges: number;
}

const ARRAY_CAST = { int: 'bigint[]', uuid: 'uuid[]', string: 'text[]' } as const;
const KEY_CAST = { int: 'bigint', uuid: 'uuid', string: 'text' } as const;

/**
 * Keys as an array parameter. int and uuid keys need no quoting, so their array literal is written directly
 * (the driver's escaping of tens of thousands of elements costs more than the query's own planning).
 */
function keyArrayParameter(entity: EntityDefinition, keys: readonly RowKey[]): string | string[] {
  return keyTypeOf(entity) === 'string' ? keys.map(String) : `{${keys.join(',')}}`;
}

/**
 * The part of `cuts` a row's key (`key`, SQL) falls in, 0 to cuts.length, binding what it needs into `values`:
 * arithmetic on the key for EvenKeyCuts (a uuid's window read with get_byte, a third of the CPU of a binary search
 * of the cut keys), `width_bucket` over the cut keys otherwise.
 */
function partNumberSql(entity: EntityDefinition, key: string, cuts: KeyCuts, values: unknown[]): string {
  if (cuts.length === 0) return '0';
  const type = keyTypeOf(entity);
  const bind = (value: unknown, cast: string): string => {
    values.push(value);
    return `$${values.length}::${cast}`;
  };
  if (!(cuts instanceof EvenKeyCuts)) return `width_bucket(${key}, ${bind(keyArrayParameter(entity, cuts), ARRAY_CAST[type])})`;
  const first = bind(String(cuts.at(0)), KEY_CAST[type]);
  const last = cuts.length === 1 ? first : bind(String(cuts.at(cuts.length - 1)), KEY_CAST[type]);
  const byte = (offset: number) => `get_byte(uuid_send(${key}), ${cuts.windowByte + offset})`;
  const window = type === 'int' ? `(${key})::bigint` : `((${byte(0)} << 16) | (${byte(1)} << 8) | ${byte(2)})`;
  return `case when ${key} < ${first} then 0 when ${key} >= ${last} then ${cuts.length} else (${window} - (${cuts.origin})) / ${cuts.step} end`;
}

const EMPTY_PART: RangeChecksum = Object.freeze({ count: 0, checksum: '0' });

/** `length` parts from "part count digest,part count digest,…" (a part without rows is empty). */
function readParts(text: string, length: number): RangeChecksum[] {
  const parts = new Array<RangeChecksum>(length).fill(EMPTY_PART);
  // indexOf and slice rather than split: a split of tens of thousands of items costs several times as much.
  for (let start = 0; start < text.length; ) {
    const comma = text.indexOf(',', start);
    const end = comma === -1 ? text.length : comma;
    const first = text.indexOf(' ', start);
    const second = text.indexOf(' ', first + 1);
    parts[Number(text.slice(start, first))] = { count: Number(text.slice(first + 1, second)), checksum: text.slice(second + 1, end) };
    start = end + 1;
  }
  return parts;
}

/**
 * Reads one store's tables over a plain PostgreSQL connection (store A's database, or store B's through
 * SUPABASE_DB_URL): range counts and checksums computed in the database with the same SQL the store plugins push
 * down (the md5 `checksum` a REST-only store reproduces in JavaScript), keyset pages in collation-free key order,
 * rows by key, and the keys that split a range evenly. Between two readers, cheaper work of its own: the size and
 * key span of a range, 64-bit part digests (`segmentChecksums`) and the rows of many ranges in one query.
 * The pool belongs to the caller.
 */
export class SqlTableReader implements ReconcileSide, KeyBoundarySource, SegmentChecksumSource, KeySpanSource, RangeRowsSource, RowDigestSource {
  readonly queries: ReaderQueryCounts = { count: 0, checksum: 0, page: 0, byIds: 0, boundaries: 0, ranges: 0 };
  /** Per table, its timestamp columns that keep at most milliseconds (read once: the digest need not truncate them). */
  private readonly millisecondColumns = new Map<string, Promise<Set<string>>>();

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
   * Rows, smallest and largest key of the range in one query (the keys from the index where there is one). For a
   * whole table that has been analysed the count is the planner's estimate (`estimated`), which spares a scan: it
   * only sizes the parts, whose grouped checksums count exactly.
   */
  async keySpan(entity: EntityDefinition, range: KeyRange): Promise<KeySpan> {
    this.queries.count += 1;
    const key = keyOrderSql(entity.fields[entity.primaryKey]);
    const where = keyRangeWhereSql(entity, range);
    const qualified = qualifiedTable(entity, this.target);
    const table = `${qualified}${where.sql}`;
    const whole = where.values.length === 0;
    const estimate = `(select reltuples from pg_class where oid = to_regclass($1) and reltuples > 0)::bigint`;
    // min()/max() do not exist for uuid; the first and last key in key order come from the index. The keys are
    // named `key_text` so that `order by` is the key's order, not the order of an output column named like it.
    const { rows } = await this.pool.query<{ row_count: string; estimated: boolean; min_key: string | null; max_key: string | null }>(
      `select ${whole ? `coalesce(${estimate}, (select count(*) from ${table}))` : `(select count(*) from ${table})`}::bigint as row_count,
              ${whole ? `${estimate} is not null` : 'false'} as estimated,
              (select (${key})::text as key_text from ${table} order by ${key} limit 1) as min_key,
              (select (${key})::text as key_text from ${table} order by ${key} desc limit 1) as max_key`,
      whole ? [qualified] : where.values,
    );
    const row = rows[0];
    const span: KeySpan = { count: Number(row?.row_count ?? 0), estimated: row?.estimated === true };
    if (row?.min_key != null && row.max_key != null) {
      span.min = keyFromText(entity, row.min_key);
      span.max = keyFromText(entity, row.max_key);
    }
    return span;
  }

  /**
   * Every part's count and digest in one grouped query: `partNumberSql` puts each row in the part its key falls in.
   * The digest is the sum of each row's 64-bit `rowDigestSql` (order-free, so no sort is needed); it is comparable
   * only with another reader's `segmentChecksums`, never with `checksum`. Counted as one checksum query.
   */
  async segmentChecksums(entity: EntityDefinition, range: KeyRange, boundaries: KeyCuts): Promise<RangeChecksum[]> {
    this.queries.checksum += 1;
    const key = keyOrderSql(entity.fields[entity.primaryKey]);
    const where = keyRangeWhereSql(entity, range);
    const values: unknown[] = [...where.values];
    const part = partNumberSql(entity, key, boundaries, values);
    const digest = rowDigestSql(entity, await this.millisecondTimestampColumns(entity));
    // Digests computed in a subquery kept apart (offset 0): the planner then groups them in a hash table of parts
    // (it assumes 200 of them) where it would sort every row with all its columns by part (a ninth less CPU). The
    // parts come back as one text of "part count digest" items: tens of thousands of rows cost Node more to take in.
    const { rows } = await this.pool.query<{ parts: string | null }>(
      `select string_agg(part || ' ' || row_count || ' ' || row_digest, ',') as parts
         from (select part, count(*) as row_count, sum(row_digest) as row_digest
                 from (select ${part} as part, ${digest} as row_digest
                         from ${qualifiedTable(entity, this.target)}${where.sql} offset 0) as digested
                group by part) as grouped`,
      values,
    );
    return readParts(rows[0]?.parts ?? '', boundaries.length + 1);
  }

  private millisecondTimestampColumns(entity: EntityDefinition): Promise<Set<string>> {
    const table = qualifiedTable(entity, this.target);
    let columns = this.millisecondColumns.get(table);
    if (!columns) {
      columns = this.pool
        .query<{ column: string }>(MILLISECOND_TIMESTAMP_COLUMNS_SQL, [table])
        .then(({ rows }) => new Set(rows.map((row) => row.column)));
      // A failed read is not kept: the next run asks again.
      columns.catch(() => this.millisecondColumns.delete(table));
      this.millisecondColumns.set(table, columns);
    }
    return columns;
  }

  /**
   * The rows of many disjoint ranges in one query, in key order: ranges bounded on both ends as pairs of keys
   * (one index range scan each), an open-ended range as a branch of its own.
   */
  async rowsOfRanges(entity: EntityDefinition, ranges: readonly KeyRange[]): Promise<Row[]> {
    if (ranges.length === 0) return [];
    this.queries.ranges += 1;
    const columns = Object.values(entity.fields).map((field) => quoteIdentifier(field.column));
    const query = this.rangesQuery(entity, ranges, columns);
    const rows = await this.queryWithoutJit<Row>(query.text, query.values);
    return rows.map((row) => toCanonicalRowFromColumns(entity, row));
  }

  /**
   * The key and 64-bit digest (`rowDigestSql`) of every row of many disjoint ranges, in key order, read as
   * `rowsOfRanges` reads the rows: comparable only with another reader's, as `segmentChecksums` are.
   */
  async rowDigestsOfRanges(entity: EntityDefinition, ranges: readonly KeyRange[]): Promise<RowDigest[]> {
    if (ranges.length === 0) return [];
    this.queries.ranges += 1;
    const keyColumn = entity.fields[entity.primaryKey].column;
    const digest = rowDigestSql(entity, await this.millisecondTimestampColumns(entity));
    const query = this.rangesQuery(entity, ranges, [quoteIdentifier(keyColumn), `${digest} as row_digest`]);
    const rows = await this.queryWithoutJit<Record<string, unknown>>(query.text, query.values);
    return rows.map((row) => ({ key: keyFromText(entity, String(row[keyColumn])), digest: String(row['row_digest']) }));
  }

  /** `columns` (SQL) of the rows of disjoint ranges, in key order (see rowsOfRanges). */
  private rangesQuery(entity: EntityDefinition, ranges: readonly KeyRange[], columns: string[]): { text: string; values: unknown[] } {
    const type = keyTypeOf(entity);
    const key = keyOrderSql(entity.fields[entity.primaryKey]);
    const table = qualifiedTable(entity, this.target);
    const values: unknown[] = [];
    const bind = (value: unknown, cast: string): string => {
      values.push(value);
      return `$${values.length}::${cast}`;
    };
    const branches: string[] = [];
    const bounded = ranges.filter((range) => range.from !== undefined && range.to !== undefined);
    if (bounded.length > 0) {
      const froms = bind(bounded.map((range) => String(range.from)), ARRAY_CAST[type]);
      const tos = bind(bounded.map((range) => String(range.to)), ARRAY_CAST[type]);
      // A LATERAL subquery kept apart (offset 0) makes the plan one index range scan per pair: the planner guesses
      // a ninth of the table for each range, and would otherwise rather walk the whole table in key order (to spare
      // a sort) against every pair.
      branches.push(
        `select part_rows.* from unnest(${froms}, ${tos}) as part(range_from, range_to)
           cross join lateral (select ${columns.join(', ')} from ${table}
                                where ${key} >= part.range_from and ${key} < part.range_to offset 0) as part_rows`,
      );
    }
    for (const range of ranges.filter((item) => item.from === undefined || item.to === undefined)) {
      const conditions: string[] = [];
      if (range.from !== undefined) conditions.push(`${key} >= ${bind(String(range.from), KEY_CAST[type])}`);
      if (range.to !== undefined) conditions.push(`${key} < ${bind(String(range.to), KEY_CAST[type])}`);
      branches.push(`select ${columns.join(', ')} from ${table}${conditions.length ? ` where ${conditions.join(' and ')}` : ''}`);
    }
    return { text: `select * from (${branches.map((branch) => `(${branch})`).join(' union all ')}) as ranged order by ${key}`, values };
  }

  /**
   * A query run without JIT compilation and parallel workers. The planner guesses a ninth of the table for each
   * range of a range join, so it judges a read of a few thousand rows costly enough to compile and to share out,
   * which takes longer (0.25 s idle, seconds on a loaded machine) than the read itself.
   */
  private async queryWithoutJit<T extends object>(text: string, values: unknown[]): Promise<T[]> {
    const client = await this.pool.connect();
    try {
      await client.query('begin; set local jit = off; set local max_parallel_workers_per_gather = 0');
      const { rows } = await client.query<T>(text, values);
      await client.query('commit');
      return rows;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
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
