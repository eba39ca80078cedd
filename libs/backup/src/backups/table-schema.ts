import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { quoteIdentifier, type EntityDefinition } from '@dualwrite/stores';
import { BackupError } from './backup-errors';

/** What a registered table looks like in one database, read from the catalog. */
export interface TableShape {
  table: string;
  columns: ColumnShape[];
  primaryKey: string[];
  /** The primary key constraint: name and `pg_get_constraintdef`; null when the table has none. */
  primaryKeyConstraint: { name: string; definition: string } | null;
  /** Constraints other than the primary key: name, type (u, c, f, x) and `pg_get_constraintdef`. */
  constraints: { name: string; type: string; definition: string }[];
  /** Indexes that back no constraint: qualified name and `pg_get_indexdef`. */
  indexes: { name: string; definition: string }[];
  /** Sequences the table's columns draw from (serial): qualified name and column. */
  sequences: { name: string; column: string }[];
}

export interface ColumnShape {
  name: string;
  type: string;
  notNull: boolean;
  defaultSql: string | null;
  /** 'a' always, 'd' by default, '' none. */
  identity: string;
}

/** Reads the registered tables of `schema`; `null` for a table the database does not have. */
export async function readTableShapes(client: ClientBase, schema: string, entities: EntityDefinition[]): Promise<Map<string, TableShape | null>> {
  const shapes = new Map<string, TableShape | null>();
  for (const entity of entities) shapes.set(entity.table, await readTableShape(client, schema, entity.table));
  return shapes;
}

async function readTableShape(client: ClientBase, schema: string, table: string): Promise<TableShape | null> {
  const qualified = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  const exists = await client.query<{ oid: string | null }>('select to_regclass($1)::oid::text as oid', [qualified]);
  const oid = exists.rows[0]?.oid;
  if (!oid) return null;
  const columns = await client.query<{ name: string; type: string; not_null: boolean; default_sql: string | null; identity: string }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
            pg_get_expr(d.adbin, d.adrelid) as default_sql, a.attidentity::text as identity
       from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [oid],
  );
  const constraints = await client.query<{ name: string; type: string; definition: string; keys: string[] | null }>(
    `select c.conname as name, c.contype::text as type, pg_get_constraintdef(c.oid) as definition,
            (select array_agg(a.attname::text order by k.ord) from unnest(c.conkey) with ordinality k(attnum, ord)
               join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum) as keys
       from pg_constraint c where c.conrelid = $1::oid order by c.contype, c.conname`,
    [oid],
  );
  const indexes = await client.query<{ name: string; definition: string }>(
    `select format('%I.%I', n.nspname, ic.relname) as name, pg_get_indexdef(i.indexrelid) as definition
       from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace
      where i.indrelid = $1::oid and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x'))
      order by i.indexrelid::regclass::text`,
    [oid],
  );
  const sequences: { name: string; column: string }[] = [];
  for (const column of columns.rows) {
    if (column.identity) continue;
    const sequence = await client.query<{ name: string | null }>('select pg_get_serial_sequence($1, $2) as name', [qualified, column.name]);
    if (sequence.rows[0]?.name) sequences.push({ name: sequence.rows[0].name, column: column.name });
  }
  const primary = constraints.rows.find((row) => row.type === 'p');
  return {
    table,
    columns: columns.rows.map((row) => ({ name: row.name, type: row.type, notNull: row.not_null, defaultSql: row.default_sql, identity: row.identity })),
    primaryKey: primary?.keys ?? [],
    primaryKeyConstraint: primary ? { name: primary.name, definition: primary.definition } : null,
    constraints: constraints.rows.filter((row) => row.type !== 'p').map(({ name, type, definition }) => ({ name, type, definition })),
    indexes: indexes.rows,
    sequences,
  };
}

/**
 * sha256 over what the data depends on: each registered table's columns (name, type, not null) and primary key,
 * in registry order. Defaults, indexes and policies may differ between stores without making a backup unfit.
 */
export function schemaHashOf(shapes: Map<string, TableShape | null>): string {
  const described = [...shapes.entries()].map(([table, shape]) =>
    shape
      ? { table, columns: shape.columns.map((column) => [column.name, column.type, column.notNull]), primaryKey: shape.primaryKey }
      : { table, missing: true },
  );
  return createHash('sha256').update(JSON.stringify(described)).digest('hex');
}

/** The newest applied migration of the store: Prisma Migrate's ledger, else the Supabase CLI's; null when neither. */
export async function readSchemaVersion(client: ClientBase, schema: string): Promise<string | null> {
  const prisma = await client.query<{ found: string | null }>('select to_regclass($1)::text as found', [`${quoteIdentifier(schema)}."_prisma_migrations"`]);
  if (prisma.rows[0]?.found) {
    const { rows } = await client.query<{ name: string }>(
      `select migration_name as name from ${quoteIdentifier(schema)}."_prisma_migrations"
        where finished_at is not null and rolled_back_at is null order by migration_name desc limit 1`,
    );
    return rows[0] ? `prisma:${rows[0].name}` : null;
  }
  const supabase = await client.query<{ found: string | null }>("select to_regclass('supabase_migrations.schema_migrations')::text as found");
  if (supabase.rows[0]?.found) {
    const { rows } = await client.query<{ name: string }>(
      "select version || coalesce('_' || name, '') as name from supabase_migrations.schema_migrations order by version desc limit 1",
    );
    return rows[0] ? `supabase:${rows[0].name}` : null;
  }
  return null;
}

/** DDL that builds the tables in an empty database: sequences, tables with defaults (keys come after the data). */
export function preDataSql(schema: string, shapes: TableShape[]): string {
  const lines = ['-- Tables of a dualwrite backup (before the data).', `create schema if not exists ${quoteIdentifier(schema)};`];
  for (const shape of shapes) {
    for (const sequence of shape.sequences) lines.push(`create sequence if not exists ${sequence.name};`);
    const columns = shape.columns.map((column) => {
      const parts = [quoteIdentifier(column.name), column.type];
      if (column.identity) parts.push(`generated ${column.identity === 'a' ? 'always' : 'by default'} as identity`);
      else if (column.defaultSql) parts.push(`default ${column.defaultSql}`);
      if (column.notNull) parts.push('not null');
      return `  ${parts.join(' ')}`;
    });
    lines.push(`create table ${quoteIdentifier(schema)}.${quoteIdentifier(shape.table)} (\n${columns.join(',\n')}\n);`);
    for (const sequence of shape.sequences) {
      lines.push(`alter sequence ${sequence.name} owned by ${quoteIdentifier(schema)}.${quoteIdentifier(shape.table)}.${quoteIdentifier(sequence.column)};`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * DDL after the data, in the order pg_restore uses: primary keys, other constraints but foreign keys, indexes,
 * foreign keys last (one index build and one validation per table instead of one per row).
 */
export function postDataSql(schema: string, shapes: TableShape[]): string {
  const lines = ['-- Keys, constraints and indexes of a dualwrite backup (after the data).'];
  lines.push(...keysAndIndexesSql(schema, shapes, () => true));
  return `${lines.join('\n')}\n`;
}

/** Statements that (re)create the keys, constraints and indexes of the tables `include` accepts; foreign keys of all. */
export function keysAndIndexesSql(schema: string, shapes: TableShape[], include: (shape: TableShape) => boolean): string[] {
  const statements: string[] = [];
  const alter = (shape: TableShape, name: string, definition: string) =>
    `alter table ${quoteIdentifier(schema)}.${quoteIdentifier(shape.table)} add constraint ${quoteIdentifier(name)} ${definition};`;
  const included = shapes.filter(include);
  for (const shape of included) if (shape.primaryKeyConstraint) statements.push(alter(shape, shape.primaryKeyConstraint.name, shape.primaryKeyConstraint.definition));
  for (const shape of included) for (const constraint of shape.constraints) if (constraint.type !== 'f') statements.push(alter(shape, constraint.name, constraint.definition));
  for (const shape of included) for (const index of shape.indexes) statements.push(`${index.definition};`);
  for (const shape of shapes) for (const constraint of shape.constraints) if (constraint.type === 'f') statements.push(alter(shape, constraint.name, constraint.definition));
  return statements;
}

export function requireShape(shapes: Map<string, TableShape | null>, table: string, where: string): TableShape {
  const shape = shapes.get(table);
  if (!shape) throw new BackupError('unsupported_entity', `Table ${table} does not exist in ${where}.`);
  return shape;
}
