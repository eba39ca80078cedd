import type { EntityDefinition } from '@dualwrite/stores';
import { readMigrationFiles } from '../migrations/migration-files';
import { withDatabaseClient, type ConnectionRetrySettings } from './connection-retry';
import { smokeTestEntities, type EntitySmokeResult } from './entity-smoke-test';
import { readSchemaCatalog, type SchemaCatalog } from './schema-catalog';
import { compareCatalogs, type SchemaDifference } from './schema-diff';
import { catalogBuiltBy } from './shadow-database';
import type { PipelineTarget } from './pipeline-target';

export interface MigrationValidateReport {
  /** The database against what all its migrations build: every expected table, column, index, constraint, policy. */
  differences: SchemaDifference[];
  /** Entity fields the registry declares whose table or column the database lacks. */
  missingEntityColumns: string[];
  smokeTest: EntitySmokeResult[];
  ok: boolean;
}

/** Registry fields without a column in the catalog, as `table.column` (or `table` when the whole table is missing). */
export function missingEntityColumns(entities: EntityDefinition[], catalog: SchemaCatalog): string[] {
  const missing: string[] = [];
  for (const entity of entities) {
    const table = catalog[entity.table];
    if (!table) {
      missing.push(entity.table);
      continue;
    }
    for (const field of Object.values(entity.fields)) {
      if (!table.columns[field.column]) missing.push(`${entity.table}.${field.column}`);
    }
  }
  return missing;
}

/**
 * `db:migration:validate`: after a deploy the database must be exactly what all migration files build (compared
 * on a shadow database), hold every column the entity registry declares, and pass the entity contract smoke test
 * (insert, read back, delete one row per entity in a transaction that is rolled back).
 */
export async function validateMigrations(
  target: PipelineTarget,
  retry?: ConnectionRetrySettings,
  signal?: AbortSignal,
): Promise<MigrationValidateReport> {
  const files = readMigrationFiles(target.layout, target.migrationsDir);
  const { actual, smokeTest } = await withDatabaseClient(
    target.databaseUrl,
    async (client) => ({ actual: await readSchemaCatalog(client), smokeTest: await smokeTestEntities(client, target.entities) }),
    retry,
    signal,
  );
  const expected = await catalogBuiltBy(target.databaseUrl, [
    ...(target.shadowPreambleSql ? [{ name: 'the shadow preamble', sql: target.shadowPreambleSql }] : []),
    ...files.map((file) => ({ name: `migration ${file.id}`, sql: file.sql })),
  ], signal);
  const { differences } = compareCatalogs(expected, actual);
  const missing = missingEntityColumns(target.entities, actual);
  return {
    differences,
    missingEntityColumns: missing,
    smokeTest,
    ok: differences.length === 0 && missing.length === 0 && smokeTest.every((result) => result.ok),
  };
}
