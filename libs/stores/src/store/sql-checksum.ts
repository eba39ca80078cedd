import type { EntityDefinition, FieldDefinition, RowKey } from '../entity/entity.types';
import type { KeyRange } from './store.types';

/**
 * SQL that computes range counts and checksums inside PostgreSQL, so the rows never leave the database.
 * The digest equals `checksumOfRows` (canonical-row.ts) over the same rows: every field is rendered to the
 * same canonical text, NULL as `\N`, fields joined by chr(31), one md5 per row, then md5 of the
 * concatenated row digests in primary-key order (md5('') for an empty range).
 */

export interface SqlQuery {
  text: string;
  values: RowKey[];
}

export interface SqlTarget {
  /** Schema to qualify the table with; unqualified (search_path) when omitted. */
  schema?: string;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedTable(entity: EntityDefinition, target: SqlTarget = {}): string {
  const table = quoteIdentifier(entity.table);
  return target.schema ? `${quoteIdentifier(target.schema)}.${table}` : table;
}

function primaryKeyField(entity: EntityDefinition): FieldDefinition {
  const field = entity.fields[entity.primaryKey];
  if (!field) throw new Error(`Entity "${entity.name}": primary key "${entity.primaryKey}" is not one of its fields.`);
  return field;
}

/** Cast for a bound primary-key parameter, so `$1` compares with the column's own type and order. */
function keyParameterCast(field: FieldDefinition): string {
  switch (field.type) {
    case 'uuid':
      return 'uuid';
    case 'int':
      return 'bigint';
    case 'string':
      return 'text';
    default:
      throw new Error(`A primary key of type "${field.type}" is not supported; use uuid, int or string.`);
  }
}

/**
 * The primary key as the expression ranges and ordering use, so key order never depends on a collation:
 * text keys compare bytewise (`collate "C"`, the order of their UTF-8 bytes); uuid keys compare as uuids,
 * also when one store keeps them in a text column (the cast is free on a uuid column: indexes still apply).
 */
export function keyOrderSql(field: FieldDefinition): string {
  const column = quoteIdentifier(field.column);
  switch (field.type) {
    case 'uuid':
      return `${column}::uuid`;
    case 'string':
      return `${column} collate "C"`;
    default:
      return column;
  }
}

/** The canonical text of one column as a SQL expression (NULL stays NULL here). */
export function canonicalColumnSql(field: FieldDefinition): string {
  const column = quoteIdentifier(field.column);
  switch (field.type) {
    case 'uuid':
      // Through uuid, so a uuid kept as text (any letter case) reads like a uuid column: lower case.
      return `${column}::uuid::text`;
    case 'string':
    case 'int':
      return `${column}::text`;
    case 'decimal':
      return `trim_scale(${column}::numeric)::text`;
    case 'boolean':
      return `(case when ${column} then 'true' when not ${column} then 'false' end)`;
    case 'json':
      return `${column}::jsonb::text`;
    case 'timestamp':
      return `(floor(extract(epoch from ${column}) * 1000))::bigint::text`;
  }
}

/** The canonical row text as a SQL expression: every field in the order of `entity.fields`, joined by chr(31). */
export function canonicalRowSql(entity: EntityDefinition): string {
  const fields = Object.values(entity.fields).map((field) => `coalesce(${canonicalColumnSql(field)}, '\\N')`);
  return `concat_ws(chr(31), ${fields.join(', ')})`;
}

/** `where` clause (possibly empty) for a key range [from, to) plus an optional exclusive lower bound. */
export function keyRangeWhereSql(
  entity: EntityDefinition,
  range: KeyRange = {},
  after?: RowKey,
): { sql: string; values: RowKey[] } {
  const keyField = primaryKeyField(entity);
  const key = keyOrderSql(keyField);
  const cast = keyParameterCast(keyField);
  const conditions: string[] = [];
  const values: RowKey[] = [];
  const bind = (operator: string, value: RowKey): void => {
    values.push(value);
    conditions.push(`${key} ${operator} $${values.length}::${cast}`);
  };
  if (range.from !== undefined) bind('>=', range.from);
  if (range.to !== undefined) bind('<', range.to);
  if (after !== undefined) bind('>', after);
  return { sql: conditions.length ? ` where ${conditions.join(' and ')}` : '', values };
}

/** One row: `row_count` (bigint) and `checksum` (md5 hex) of the key range. */
export function buildRangeChecksumSql(entity: EntityDefinition, range?: KeyRange, target?: SqlTarget): SqlQuery {
  const key = keyOrderSql(primaryKeyField(entity));
  const where = keyRangeWhereSql(entity, range);
  const text =
    `select count(*)::bigint as row_count, ` +
    `md5(coalesce(string_agg(md5(${canonicalRowSql(entity)}), '' order by ${key}), '')) as checksum ` +
    `from ${qualifiedTable(entity, target)}${where.sql}`;
  return { text, values: where.values };
}

/** One row: `row_count` (bigint) of the key range. */
export function buildRangeCountSql(entity: EntityDefinition, range?: KeyRange, target?: SqlTarget): SqlQuery {
  const where = keyRangeWhereSql(entity, range);
  return {
    text: `select count(*)::bigint as row_count from ${qualifiedTable(entity, target)}${where.sql}`,
    values: where.values,
  };
}

/** Rows (all columns, column names) of the key range with key > `after`, in key order, at most `limit`. */
export function buildKeysetPageSql(
  entity: EntityDefinition,
  request: { after?: RowKey; limit: number; range?: KeyRange },
  target?: SqlTarget,
): SqlQuery {
  if (!Number.isInteger(request.limit) || request.limit < 1) {
    throw new Error(`Page limit must be a positive integer, got ${request.limit}.`);
  }
  const key = keyOrderSql(primaryKeyField(entity));
  const columns = Object.values(entity.fields).map((field) => quoteIdentifier(field.column));
  const where = keyRangeWhereSql(entity, request.range, request.after);
  return {
    text:
      `select ${columns.join(', ')} from ${qualifiedTable(entity, target)}${where.sql} ` +
      `order by ${key} limit ${request.limit}`,
    values: where.values,
  };
}

/** Reads `row_count` / `checksum` from a driver's result row (bigint may arrive as bigint, number or string). */
export function readRangeChecksumRow(row: unknown): { count: number; checksum: string } {
  if (typeof row !== 'object' || row === null) throw new Error('Checksum query returned no row.');
  const { row_count: rowCount, checksum } = row as { row_count?: unknown; checksum?: unknown };
  const count = readCount(rowCount);
  if (typeof checksum !== 'string') throw new Error('Checksum query returned no checksum column.');
  return { count, checksum };
}

export function readCount(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw new Error(`Count query returned ${typeof value}, expected a number.`);
}

/** Moves a serial key's sequence up to `key` when it is below (never back); see StorePlugin.keepSequenceAbove. */
export function buildKeepSequenceAboveSql(entity: EntityDefinition, key: number, target: SqlTarget = {}): SqlQuery {
  const field = primaryKeyField(entity);
  if (field.type !== 'int') throw new Error(`Entity "${entity.name}": only an int key has a sequence.`);
  return {
    text: `select setval(s, greatest($1::bigint, coalesce(pg_sequence_last_value(s), 0), 1))::text as value
             from (select pg_get_serial_sequence($2, $3)::regclass as s) as sequence`,
    values: [key, qualifiedTable(entity, target), field.column],
  };
}

/** The largest key of an int-keyed entity: `highest` is null when the table is empty. */
export function buildHighestKeySql(entity: EntityDefinition, target: SqlTarget = {}): SqlQuery {
  const column = entity.fields[entity.primaryKey]?.column ?? entity.primaryKey;
  return { text: `select max(${quoteIdentifier(column)})::text as highest from ${qualifiedTable(entity, target)}`, values: [] };
}

/** The `highest` column of buildHighestKeySql's row as a number, or null. */
export function readHighestKey(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const highest = Number(value);
  if (!Number.isSafeInteger(highest)) throw new Error(`highest key ${String(value)} is not a safe integer`);
  return highest;
}
