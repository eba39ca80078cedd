import type { EntityDefinition, FieldDefinition, FieldType } from '@dualwrite/stores';
import { quoteIdentifier } from '../pipeline/database-url';
import type { SchemaCatalog, TableCatalog } from '../pipeline/schema-catalog';

export type SchemaSyncFindingKind =
  | 'missing_table'
  | 'missing_column'
  | 'column_type_mismatch'
  | 'missing_primary_key'
  | 'missing_index'
  | 'rls_disabled'
  | 'missing_service_role_policy'
  | 'missing_owner_policy';

/** One way store B's tables fall short of the entity registry, and the SQL that fixes it (when it can be fixed safely). */
export interface SchemaSyncFinding {
  kind: SchemaSyncFindingKind;
  entity: string;
  table: string;
  /** The column, index or policy concerned. */
  name?: string;
  detail: string;
  /** False when fixing needs a decision (a type change, a primary key on existing rows): reported, never changed. */
  fixable: boolean;
  /** What POST /admin/schema-sync runs for it, in order. */
  sql: string[];
}

/** Column types a field type accepts (format_type text); the first is what a created column gets. */
const ACCEPTED_TYPES: Record<FieldType, RegExp> = {
  uuid: /^uuid$/,
  string: /^(text|character varying(\(\d+\))?|character\(\d+\))$/,
  int: /^(integer|bigint|smallint)$/,
  decimal: /^numeric(\(\d+,\d+\))?$/,
  boolean: /^boolean$/,
  json: /^jsonb?$/,
  timestamp: /^timestamp(\(\d\))? with(out)? time zone$/,
};
const CREATED_TYPE: Record<FieldType, string> = {
  uuid: 'uuid',
  string: 'text',
  int: 'integer',
  decimal: 'numeric',
  boolean: 'boolean',
  json: 'jsonb',
  timestamp: 'timestamptz(3)',
};
/** Defaults for fields the database fills (`generated`), as the example migrations give them. */
const GENERATED_DEFAULT: Partial<Record<FieldType, string>> = { timestamp: 'now()', json: `'{}'::jsonb`, boolean: 'false' };

const table = (name: string) => `public.${quoteIdentifier(name)}`;
const indexName = (tableName: string, column: string) => `${tableName}_${column}_idx`.slice(0, 63);
const isSerialKey = (entity: EntityDefinition, fieldName: string) => entity.keyStrategy === 'serial' && fieldName === entity.primaryKey;

function columnSql(entity: EntityDefinition, fieldName: string, field: FieldDefinition): string {
  if (isSerialKey(entity, fieldName)) return `${quoteIdentifier(field.column)} serial primary key`;
  const parts = [quoteIdentifier(field.column), CREATED_TYPE[field.type]];
  if (fieldName === entity.primaryKey) parts.push('primary key');
  else if (field.generated && GENERATED_DEFAULT[field.type]) parts.push('not null', `default ${GENERATED_DEFAULT[field.type]}`);
  else if (!field.nullable) parts.push('not null');
  return parts.join(' ');
}

/** Indexes the registry implies besides the primary key: the owner column, which the RLS owner policy filters on. */
function expectedIndexColumns(entity: EntityDefinition): string[] {
  if (!entity.ownerField || entity.ownerField === entity.primaryKey) return [];
  return [entity.fields[entity.ownerField].column];
}

function serviceRolePolicySql(tableName: string): string {
  return `create policy ${quoteIdentifier(`${tableName}_service_role_all`)} on ${table(tableName)} for all to service_role using (true) with check (true)`;
}

function ownerPolicySql(tableName: string, column: string): string {
  const owner = `${quoteIdentifier(column)} = auth.uid()`;
  return `create policy ${quoteIdentifier(`${tableName}_owner_all`)} on ${table(tableName)} for all to anon, authenticated using (${owner}) with check (${owner})`;
}

function createIndexSql(tableName: string, column: string): string {
  return `create index ${quoteIdentifier(indexName(tableName, column))} on ${table(tableName)} (${quoteIdentifier(column)})`;
}

/** The first column of each index of a table, read from its definition. */
function indexedColumns(catalog: TableCatalog): string[] {
  return Object.values(catalog.indexes)
    .map((definition) => /\((.+)\)\s*$/.exec(definition)?.[1].split(',')[0].trim().replace(/^"(.*)"$/, '$1'))
    .filter((column): column is string => Boolean(column));
}

const hasServiceRolePolicy = (catalog: TableCatalog) =>
  Object.values(catalog.policies).some((policy) => policy.roles.includes('service_role') && policy.command === 'ALL' && policy.using === 'true');
const hasOwnerPolicy = (catalog: TableCatalog, column: string) =>
  Object.values(catalog.policies).some(
    (policy) => policy.roles.includes('authenticated') && (policy.using ?? '').includes(column) && (policy.using ?? '').includes('auth.uid()'),
  );

/**
 * Compares the entity registry with store B's catalog (public schema): every entity needs its table, a column of an
 * accepted type per field, its primary key, an index on its owner column, row-level security on, a service_role
 * policy and (with an owner field) an owner-only policy. A pure function: the SQL comes with each finding.
 */
export function planSchemaSync(entities: EntityDefinition[], catalog: SchemaCatalog): SchemaSyncFinding[] {
  const findings: SchemaSyncFinding[] = [];
  for (const entity of entities) {
    const found = (kind: SchemaSyncFindingKind, detail: string, sql: string[], name?: string, fixable = true) =>
      findings.push({ kind, entity: entity.name, table: entity.table, ...(name ? { name } : {}), detail, fixable, sql });
    const current = catalog[entity.table];
    const ownerColumn = entity.ownerField ? entity.fields[entity.ownerField].column : undefined;
    if (!current) {
      const serial = Object.entries(entity.fields).find(([fieldName]) => isSerialKey(entity, fieldName));
      found('missing_table', `table ${entity.table} does not exist`, [
        `create table ${table(entity.table)} (\n  ${Object.entries(entity.fields).map(([fieldName, field]) => columnSql(entity, fieldName, field)).join(',\n  ')}\n)`,
        `alter table ${table(entity.table)} enable row level security`,
        serviceRolePolicySql(entity.table),
        ...(ownerColumn ? [ownerPolicySql(entity.table, ownerColumn)] : []),
        `grant select, insert, update, delete on ${table(entity.table)} to anon, authenticated, service_role`,
        ...(serial ? [`grant usage, select on sequence public.${quoteIdentifier(`${entity.table}_${serial[1].column}_seq`)} to anon, authenticated, service_role`] : []),
        ...expectedIndexColumns(entity).map((column) => createIndexSql(entity.table, column)),
      ]);
      continue;
    }
    for (const [fieldName, field] of Object.entries(entity.fields)) {
      const column = current.columns[field.column];
      if (!column) {
        const definition = columnSql(entity, fieldName, field);
        // A required column without a default cannot be added as NOT NULL to a table that has rows.
        const safe = fieldName === entity.primaryKey || !/ not null$/.test(definition) ? definition : definition.replace(/ not null$/, '');
        const note = safe === definition ? '' : ' (added as nullable: existing rows have no value; set NOT NULL after a backfill)';
        found('missing_column', `column ${entity.table}.${field.column} (${field.type}) does not exist${note}`, [`alter table ${table(entity.table)} add column ${safe}`], field.column);
      } else if (!ACCEPTED_TYPES[field.type].test(column.type)) {
        found('column_type_mismatch', `column ${entity.table}.${field.column} is ${column.type}, the registry says ${field.type}`, [], field.column, false);
      }
    }
    const keyColumn = entity.fields[entity.primaryKey].column;
    const hasPrimaryKey = Object.values(current.constraints).some((definition) => definition === `PRIMARY KEY (${keyColumn})` || definition === `PRIMARY KEY (${quoteIdentifier(keyColumn)})`);
    if (!hasPrimaryKey) found('missing_primary_key', `table ${entity.table} has no primary key on ${keyColumn}`, [], keyColumn, false);
    const indexed = indexedColumns(current);
    for (const column of expectedIndexColumns(entity)) {
      if (!indexed.includes(column)) found('missing_index', `no index on ${entity.table}.${column} (the owner column RLS filters on)`, [createIndexSql(entity.table, column)], indexName(entity.table, column));
    }
    if (!current.rlsEnabled) found('rls_disabled', `row level security is off on ${entity.table}`, [`alter table ${table(entity.table)} enable row level security`]);
    if (!hasServiceRolePolicy(current)) {
      found('missing_service_role_policy', `no policy lets service_role do everything on ${entity.table}`, [serviceRolePolicySql(entity.table)], `${entity.table}_service_role_all`);
    }
    if (ownerColumn && !hasOwnerPolicy(current, ownerColumn)) {
      found('missing_owner_policy', `no policy limits anon/authenticated to their own rows of ${entity.table} (${ownerColumn} = auth.uid())`, [ownerPolicySql(entity.table, ownerColumn)], `${entity.table}_owner_all`);
    }
  }
  return findings;
}
