import { checkedTypeName, quoteIdentifier } from './identifiers';
import type { Filter, OrderTerm, SelectItem } from './query-parser';

/** SQL text with its bind values; request values only ever travel as bind values. */
export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** Collects bind values and hands out their placeholders. */
export class BindValues {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * What every wrapped statement returns: the rows as one JSON array text (built by PostgreSQL, as PostgREST does,
 * so numerics and timestamps keep their exact text), the first row alone for singular responses, and the count.
 */
export interface RowsResult {
  body: string;
  first: string | null;
  page_count: number;
  total_count?: string;
}

export function selectListSql(select: SelectItem[]): string {
  return select
    .map((item) => {
      if (item.kind === 'star') return '*';
      const column = quoteIdentifier(item.column, 'column');
      // PostgREST names a cast column after the column (`amount::text` arrives as "amount").
      const name = quoteIdentifier(item.alias ?? item.column, 'alias');
      return item.cast ? `${column}::${checkedTypeName(item.cast)} AS ${name}` : item.alias ? `${column} AS ${name}` : column;
    })
    .join(', ');
}

const comparison: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'LIKE', ilike: 'ILIKE' };

function filterSql(filter: Filter, binds: BindValues): string {
  const column = quoteIdentifier(filter.column, 'column');
  let condition: string;
  if (filter.operator === 'in') {
    const list = filter.value as string[];
    condition = list.length === 0 ? 'false' : `${column} = ANY(${binds.add(list)})`;
  } else if (filter.operator === 'is') {
    condition = `${column} IS ${(filter.value as string).toUpperCase()}`;
  } else {
    const raw = filter.value as string;
    // PostgREST lets `*` stand for `%` in like patterns, so URLs need no percent escaping.
    const value = filter.operator === 'like' || filter.operator === 'ilike' ? raw.replace(/\*/g, '%') : raw;
    condition = `${column} ${comparison[filter.operator]} ${binds.add(value)}`;
  }
  return filter.negated ? `NOT (${condition})` : condition;
}

export function whereSql(filters: Filter[], binds: BindValues): string {
  if (filters.length === 0) return '';
  return `WHERE ${filters.map((filter) => filterSql(filter, binds)).join(' AND ')}`;
}

export function orderSql(order: OrderTerm[]): string {
  if (order.length === 0) return '';
  const terms = order.map((term) => {
    const nulls = term.nulls ? ` NULLS ${term.nulls.toUpperCase()}` : '';
    return `${quoteIdentifier(term.column, 'column')} ${term.descending ? 'DESC' : 'ASC'}${nulls}`;
  });
  return `ORDER BY ${terms.join(', ')}`;
}

export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdentifier(schema, 'schema')}.${quoteIdentifier(name, 'table or function name')}`;
}

/** Aggregates the rows of `_pgrst_source` into one JSON array text plus their number. */
const aggregate =
  `coalesce(json_agg(_pgrst_source), '[]')::text AS body, (json_agg(_pgrst_source) -> 0)::text AS first, ` +
  `count(*)::int AS page_count`;

export interface ReadRequest {
  /** A table (`"public"."budgets"`) or a parenthesised row source with an alias. */
  from: string;
  select: SelectItem[];
  filters: Filter[];
  order: OrderTerm[];
  limit?: number;
  offset?: number;
  withTotalCount: boolean;
}

export function buildReadSql(request: ReadRequest, binds = new BindValues()): SqlQuery {
  const where = whereSql(request.filters, binds);
  const limit = request.limit !== undefined ? `LIMIT ${binds.add(request.limit)}` : '';
  const offset = request.offset ? `OFFSET ${binds.add(request.offset)}` : '';
  const total = request.withTotalCount ? `, (SELECT count(*) FROM ${request.from} ${where}) AS total_count` : '';
  const text =
    `WITH _pgrst_source AS (SELECT ${selectListSql(request.select)} FROM ${request.from} ${where} ${orderSql(request.order)} ${limit} ${offset}) ` +
    `SELECT ${aggregate}${total} FROM _pgrst_source`;
  return { text, values: binds.values };
}

/**
 * Transaction-local count of the rows a merge-duplicates upsert updated instead of inserting: PostgREST answers 200
 * rather than 201 when it inserted none. Counted in the DO UPDATE's condition (always true), so the statement needs
 * no RETURNING and no SELECT right. Each request is its own transaction, so the count starts empty.
 */
export const mergedRowsSetting = 'supabase_local.merged_rows';
const countMergedRow =
  `set_config('${mergedRowsSetting}', (coalesce(nullif(current_setting('${mergedRowsSetting}', true), '')::int, 0) + 1)::text, true) IS NOT NULL`;

export function readMergedRowsSql(): string {
  return `SELECT coalesce(nullif(current_setting('${mergedRowsSetting}', true), ''), '0')::int AS merged`;
}

export interface InsertRequest {
  table: string;
  rows: Record<string, unknown>[];
  columns: string[];
  /** With `missing=default`, a column a row leaves out takes its default instead of NULL. */
  missingDefault: boolean;
  conflict?: { target: string[]; resolution: 'merge-duplicates' | 'ignore-duplicates' };
  /** Undefined: no RETURNING (return=minimal needs no SELECT privilege or policy). */
  returning?: SelectItem[];
}

/**
 * One INSERT over all rows. As in PostgREST, the whole body travels as one JSON bind value and
 * json_populate_recordset converts its fields to the column types: one parse, and one statement text whatever the
 * number of rows. Only `missing=default` with a row that leaves a column out needs a VALUES list (`DEFAULT` has no
 * place in INSERT … SELECT): each such row then travels as its own JSON value.
 */
export function buildInsertSql(request: InsertRequest): SqlQuery {
  const binds = new BindValues();
  const columns = request.columns.map((column) => quoteIdentifier(column, 'column'));
  const leavesOutAColumn = (row: Record<string, unknown>) => request.columns.some((column) => !Object.prototype.hasOwnProperty.call(row, column));
  let statement: string;
  if (columns.length === 0) {
    statement = `INSERT INTO ${request.table} DEFAULT VALUES`;
  } else if (request.missingDefault && request.rows.some(leavesOutAColumn)) {
    const tuples = request.rows.map((row) => {
      const record = `json_populate_record(NULL::${request.table}, ${binds.add(JSON.stringify(row))}::json)`;
      const cells = request.columns.map((column, index) => (Object.prototype.hasOwnProperty.call(row, column) ? `(${record}).${columns[index]}` : 'DEFAULT'));
      return `(${cells.join(', ')})`;
    });
    statement = `INSERT INTO ${request.table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`;
  } else {
    const body = binds.add(JSON.stringify(request.rows));
    const fields = columns.map((column) => `_pgrst_body.${column}`);
    statement = `INSERT INTO ${request.table} (${columns.join(', ')}) SELECT ${fields.join(', ')} FROM json_populate_recordset(NULL::${request.table}, ${body}::json) AS _pgrst_body`;
  }
  if (request.conflict) {
    const target = request.conflict.target.map((column) => quoteIdentifier(column, 'column'));
    const updated = columns.filter((column) => !target.includes(column));
    const assignments = (updated.length > 0 ? updated : target).map((column) => `${column} = EXCLUDED.${column}`);
    statement +=
      request.conflict.resolution === 'ignore-duplicates'
        ? ` ON CONFLICT (${target.join(', ')}) DO NOTHING`
        : ` ON CONFLICT (${target.join(', ')}) DO UPDATE SET ${assignments.join(', ')} WHERE ${countMergedRow}`;
  }
  return { text: withReturning(statement, request.returning), values: binds.values };
}

export interface UpdateRequest {
  table: string;
  patch: Record<string, unknown>;
  filters: Filter[];
  returning?: SelectItem[];
}

export function buildUpdateSql(request: UpdateRequest): SqlQuery {
  const binds = new BindValues();
  const record = `json_populate_record(NULL::${request.table}, ${binds.add(JSON.stringify(request.patch))}::json)`;
  const assignments = Object.keys(request.patch).map((column) => {
    const quoted = quoteIdentifier(column, 'column');
    return `${quoted} = (${record}).${quoted}`;
  });
  const statement = `UPDATE ${request.table} SET ${assignments.join(', ')} ${whereSql(request.filters, binds)}`;
  return { text: withReturning(statement, request.returning), values: binds.values };
}

export function buildDeleteSql(request: { table: string; filters: Filter[]; returning?: SelectItem[] }): SqlQuery {
  const binds = new BindValues();
  const statement = `DELETE FROM ${request.table} ${whereSql(request.filters, binds)}`;
  return { text: withReturning(statement, request.returning), values: binds.values };
}

function withReturning(statement: string, returning: SelectItem[] | undefined): string {
  if (returning === undefined) return statement;
  return `WITH _pgrst_source AS (${statement} RETURNING ${selectListSql(returning)}) SELECT ${aggregate} FROM _pgrst_source`;
}

export interface FunctionArgument {
  name: string;
  /** Type as format_type() prints it: catalog text, never request text. */
  type: string;
}

/**
 * The rows of a function call as a row source `(...) AS _pgrst_rows`. Named JSON arguments are converted to
 * the parameter types by jsonb_to_record and passed as `name := value`.
 */
export function functionCallSource(fn: string, args: FunctionArgument[], body: Record<string, unknown>, binds: BindValues): string {
  if (args.length === 0) return `(SELECT _pgrst_call.* FROM ${fn}() AS _pgrst_call) AS _pgrst_rows`;
  const definitions = args.map((arg) => `${quoteIdentifier(arg.name, 'argument')} ${arg.type}`).join(', ');
  const named = args.map((arg) => `${quoteIdentifier(arg.name, 'argument')} := _pgrst_args.${quoteIdentifier(arg.name, 'argument')}`).join(', ');
  return (
    `(SELECT _pgrst_call.* FROM jsonb_to_record(${binds.add(JSON.stringify(body))}::jsonb) AS _pgrst_args(${definitions}) ` +
    `CROSS JOIN LATERAL ${fn}(${named}) AS _pgrst_call) AS _pgrst_rows`
  );
}
