import { quoteIdentifier, type EntityDefinition, type FieldDefinition } from '@dualwrite/stores';

/**
 * The value of one column as the row digest hashes it: the column's own value where every type a store may keep
 * the field in hashes equal values alike, a cast only where two types would not. PostgreSQL's extended hash of a
 * value is equal for values that compare equal, so `numeric` needs no `trim_scale` (1.500000 and 1.5 hash alike),
 * a timestamptz(3) and a timestamptz(6) truncated to the millisecond hash alike (both hash the same 64-bit instant;
 * a timestamp without time zone, read as UTC, hashes like the timestamptz of that instant), and text is hashed by
 * its bytes under "C" whatever the column's collation.
 */
export function digestColumnSql(field: FieldDefinition, millisecondColumns: ReadonlySet<string> = new Set()): string {
  const column = quoteIdentifier(field.column);
  switch (field.type) {
    case 'uuid':
      // A uuid kept as text (any letter case) hashes like a uuid column.
      return `${column}::uuid`;
    case 'string':
      return `${column}::text collate "C"`;
    case 'int':
      return `${column}::bigint`;
    case 'decimal':
      // float4 / float8 / numeric of any scale: through numeric, as the canonical text goes (-0 is 0).
      return `${column}::numeric`;
    case 'boolean':
      return `${column}::boolean`;
    case 'json':
      // json and jsonb alike through jsonb's text (key order, whitespace); not jsonb's own hash, which does not
      // see where a nested object ends ({"a": {"b": 1}, "c": 2} and {"a": {"b": 1, "c": 2}} hash alike).
      return `${column}::jsonb::text collate "C"`;
    case 'timestamp':
      // Millisecond precision, as the stores' drivers hand Node Dates (the canonical form floors to the ms too);
      // a column that keeps no more than milliseconds (timestamptz(3)) is hashed as it is.
      return millisecondColumns.has(field.column) ? column : `date_trunc('milliseconds', ${column})`;
  }
}

/**
 * A 64-bit digest of one row as a SQL expression (bigint): every field in the order of `entity.fields`, hashed by
 * `hash_record_extended` (PostgreSQL 14+; NULL hashes as 0, the position of each value counts). About a third of
 * the CPU of md5 over the canonical row text (`canonicalRowSql`). Comparable only with the same expression on the
 * other store: a store that computes its checksum in JavaScript (REST) uses the md5 checksum instead.
 *
 * `millisecondColumns`: the timestamp columns of this store's table that keep at most milliseconds (see
 * `millisecondTimestampColumnsSql`), hashed without truncation.
 *
 * The record hash is a weighted sum of its values' hashes, so with one seed for every row the same change in two
 * rows (one `published` true → false, another false → true) would move a sum of row digests by opposite amounts
 * and cancel out. Each row is therefore hashed with a seed of its own, its key's hash.
 */
export function rowDigestSql(entity: EntityDefinition, millisecondColumns: ReadonlySet<string> = new Set()): string {
  const key = entity.fields[entity.primaryKey];
  if (!key) throw new Error(`Entity "${entity.name}": primary key "${entity.primaryKey}" is not one of its fields.`);
  const values = Object.values(entity.fields).map((field) => digestColumnSql(field, millisecondColumns));
  return `hash_record_extended(row(${values.join(', ')}), ${keySeedSql(key)})`;
}

/** The seed of a row's digest: its key's own 64-bit hash (the type's hash function; a record hash costs more). */
function keySeedSql(key: FieldDefinition): string {
  const value = digestColumnSql(key);
  switch (key.type) {
    case 'uuid':
      return `uuid_hash_extended(${value}, 0)`;
    case 'int':
      return `hashint8extended(${value}, 0)`;
    case 'string':
      return `hashtextextended(${value}, 0)`;
    default:
      return `hash_record_extended(row(${value}), 0)`;
  }
}

/**
 * One row per timestamp column of a table (`$1`: its qualified name) that keeps at most milliseconds
 * (timestamp(0..3) / timestamptz(0..3)): `column`. No rows when the table does not exist.
 */
export const MILLISECOND_TIMESTAMP_COLUMNS_SQL = `
  select attname as column from pg_attribute
   where attrelid = to_regclass($1) and attnum > 0 and not attisdropped
     and atttypid in ('timestamp'::regtype, 'timestamptz'::regtype) and atttypmod between 0 and 3`;
