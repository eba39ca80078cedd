import type { ClientBase } from 'pg';
import { readMigrationFiles, type MigrationFile } from '../migrations/migration-files';
import { withDatabaseClient, type ConnectionRetrySettings } from './connection-retry';
import { readSchemaCatalog } from './schema-catalog';
import { compareCatalogs, type SchemaDifference } from './schema-diff';
import { buildShadow, catalogBuiltBy } from './shadow-database';
import type { PipelineTarget } from './pipeline-target';

export interface MigrationCheckReport {
  /** Migration files the database has not applied yet, in the order deploy applies them. */
  pending: string[];
  applied: string[];
  /** Applied migrations whose file changed since (Prisma layout: the recorded checksum differs). */
  modified: string[];
  /** Recorded as applied, but no file has that id. */
  unknownApplied: string[];
  /** The database against what its applied migrations build (manual changes, failed half-steps). */
  drift: SchemaDifference[];
  /** Tables a pending migration creates that the database already has (a deploy would fail on them). */
  conflicts: string[];
  /** A pending migration that fails even on an empty shadow database (a deploy would fail on it too). */
  pendingFailure?: { migration: string; error: string };
  /** The schema file against what all migrations build (a model changed without a migration); store A only. */
  schemaFileDrift: SchemaDifference[];
  unmanagedTables: string[];
  /** True when nothing blocks a deploy: no drift, no conflict, no edited or unknown migration. */
  ok: boolean;
}

export interface LedgerRow {
  id: string;
  checksum: string | null;
}

/** Reads what the database recorded as applied; a database without a ledger has applied nothing. */
export async function readLedger(client: ClientBase, layout: PipelineTarget['layout']): Promise<LedgerRow[]> {
  if (layout === 'prisma') {
    const exists = (await client.query<{ t: string | null }>(`select to_regclass('public._prisma_migrations')::text as t`)).rows[0].t;
    if (!exists) return [];
    const { rows } = await client.query<LedgerRow>(
      `select migration_name as id, checksum from "_prisma_migrations"
        where rolled_back_at is null and finished_at is not null order by migration_name`,
    );
    return rows;
  }
  const exists = (await client.query<{ t: string | null }>(`select to_regclass('supabase_migrations.schema_migrations')::text as t`)).rows[0].t;
  if (!exists) return [];
  const { rows } = await client.query<LedgerRow>('select version as id, null as checksum from supabase_migrations.schema_migrations order by version');
  return rows;
}

const scriptsOf = (target: PipelineTarget, files: MigrationFile[]) => [
  ...(target.shadowPreambleSql ? [{ name: 'the shadow preamble', sql: target.shadowPreambleSql }] : []),
  ...files.map((file) => ({ name: `migration ${file.id}`, sql: file.sql })),
];

/**
 * `db:migration:check`: which migrations are pending, and whether the database drifted from what its applied
 * migrations build (compared on a shadow database, table by table: columns, indexes, constraints, RLS, policies).
 */
export async function checkMigrations(
  target: PipelineTarget,
  retry?: ConnectionRetrySettings,
  signal?: AbortSignal,
): Promise<MigrationCheckReport> {
  const files = readMigrationFiles(target.layout, target.migrationsDir);
  const { ledger, actual } = await withDatabaseClient(
    target.databaseUrl,
    async (client) => ({ ledger: await readLedger(client, target.layout), actual: await readSchemaCatalog(client) }),
    retry,
    signal,
  );
  const fileById = new Map(files.map((file) => [file.id, file]));
  const recorded = new Map(ledger.map((row) => [row.id, row.checksum]));
  const pending = files.filter((file) => !recorded.has(file.id)).map((file) => file.id);
  const appliedFiles = files.filter((file) => recorded.has(file.id));
  const modified = appliedFiles.filter((file) => {
    const checksum = recorded.get(file.id);
    return checksum !== null && checksum !== undefined && checksum !== file.checksum;
  });
  const unknownApplied = ledger.map((row) => row.id).filter((id) => !fileById.has(id));

  const expected = await catalogBuiltBy(target.databaseUrl, scriptsOf(target, appliedFiles), signal);
  const { differences: drift, unmanagedTables } = compareCatalogs(expected, actual);

  // What all migrations build: a pending one must run on an empty database, and must not create a table that exists.
  const all = pending.length > 0 || target.schemaFileSql ? await buildShadow(target.databaseUrl, scriptsOf(target, files), signal) : { catalog: expected };
  const pendingFailure = all.failure ? { migration: all.failure.script.replace(/^migration /, ''), error: all.failure.message } : undefined;
  const conflicts = Object.keys(all.catalog).filter((table) => !(table in expected) && table in actual);

  let schemaFileDrift: SchemaDifference[] = [];
  if (target.schemaFileSql && !all.failure) {
    const fromSchemaFile = await catalogBuiltBy(
      target.databaseUrl,
      [...(target.shadowPreambleSql ? [{ name: 'the shadow preamble', sql: target.shadowPreambleSql }] : []), { name: 'the schema file', sql: await target.schemaFileSql() }],
      signal,
    );
    const comparison = compareCatalogs(fromSchemaFile, all.catalog);
    schemaFileDrift = [
      ...comparison.differences,
      ...comparison.unmanagedTables.map((table): SchemaDifference => ({ kind: 'unexpected_table', table })),
    ];
  }

  return {
    pending,
    applied: appliedFiles.map((file) => file.id),
    modified: modified.map((file) => file.id),
    unknownApplied,
    drift,
    conflicts,
    ...(pendingFailure ? { pendingFailure } : {}),
    schemaFileDrift,
    unmanagedTables,
    ok: drift.length === 0 && conflicts.length === 0 && !pendingFailure && schemaFileDrift.length === 0 && modified.length === 0 && unknownApplied.length === 0,
  };
}
