import type { ClientBase } from 'pg';

/** What one table looks like in the database catalog: the parts a migration changes and a check compares. */
export interface TableCatalog {
  /** column name → type (format_type, e.g. `numeric(14,2)`), nullability and default expression. */
  columns: Record<string, ColumnCatalog>;
  /** index name → definition (pg_get_indexdef). */
  indexes: Record<string, string>;
  /** constraint name → definition (pg_get_constraintdef): primary, unique, foreign keys, checks. */
  constraints: Record<string, string>;
  rlsEnabled: boolean;
  policies: Record<string, PolicyCatalog>;
}

export interface ColumnCatalog {
  type: string;
  nullable: boolean;
  default: string | null;
}

export interface PolicyCatalog {
  /** ALL, SELECT, INSERT, UPDATE or DELETE. */
  command: string;
  roles: string[];
  using: string | null;
  check: string | null;
}

/** table name → its catalog, for one schema. */
export type SchemaCatalog = Record<string, TableCatalog>;

/** Tables where a migration tool records what it applied; never part of a comparison. */
export const MIGRATION_LEDGER_TABLES = ['_prisma_migrations', 'dual_write_schema_migrations'];

/** Reads the tables of one schema (public by default) from pg_catalog, migration ledgers left out. */
export async function readSchemaCatalog(client: ClientBase, schema = 'public'): Promise<SchemaCatalog> {
  const catalog: SchemaCatalog = {};
  const tables = await client.query<{ table: string; rls: boolean }>(
    `select c.relname as table, c.relrowsecurity as rls
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and not (c.relname = any($2::text[]))
      order by 1`,
    [schema, MIGRATION_LEDGER_TABLES],
  );
  for (const { table, rls } of tables.rows) {
    catalog[table] = { columns: {}, indexes: {}, constraints: {}, rlsEnabled: rls, policies: {} };
  }
  const columns = await client.query<{ table: string; column: string; type: string; nullable: boolean; default: string | null }>(
    `select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
            not a.attnotnull as nullable, pg_get_expr(d.adbin, d.adrelid) as default
       from pg_attribute a
       join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum`,
    [schema],
  );
  for (const row of columns.rows) {
    if (catalog[row.table]) catalog[row.table].columns[row.column] = { type: row.type, nullable: row.nullable, default: row.default };
  }
  const indexes = await client.query<{ table: string; name: string; definition: string }>(
    'select tablename as table, indexname as name, indexdef as definition from pg_indexes where schemaname = $1 order by 1, 2',
    [schema],
  );
  for (const row of indexes.rows) {
    if (catalog[row.table]) catalog[row.table].indexes[row.name] = row.definition;
  }
  const constraints = await client.query<{ table: string; name: string; definition: string }>(
    `select c.relname as table, k.conname as name, pg_get_constraintdef(k.oid) as definition
       from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 order by 1, 2`,
    [schema],
  );
  for (const row of constraints.rows) {
    if (catalog[row.table]) catalog[row.table].constraints[row.name] = row.definition;
  }
  const policies = await client.query<{ table: string; name: string; command: string; roles: string[]; using: string | null; check: string | null }>(
    `select tablename as table, policyname as name, cmd as command, roles::text[] as roles, qual as using, with_check as check
       from pg_policies where schemaname = $1 order by 1, 2`,
    [schema],
  );
  for (const row of policies.rows) {
    if (catalog[row.table]) {
      catalog[row.table].policies[row.name] = { command: row.command, roles: [...row.roles].sort(), using: row.using, check: row.check };
    }
  }
  return catalog;
}
