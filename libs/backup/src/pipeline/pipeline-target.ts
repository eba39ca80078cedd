import type { EntityDefinition } from '@dualwrite/stores';
import type { MigrationLayout } from '../migrations/migration-files';

/** The database one run of the migration pipeline works on, and where its migrations come from. */
export interface PipelineTarget {
  /** Names the store in reports and notifications: `prisma` (store A) or `supabase` (store B). */
  store: string;
  databaseUrl: string;
  layout: Exclude<MigrationLayout, 'platform'>;
  migrationsDir: string;
  /** The entities whose tables live in this database (validate's smoke test and health check use them). */
  entities: EntityDefinition[];
  /**
   * SQL a scratch database needs before the first migration (store B: the roles and `auth.uid()` every Supabase
   * project has, tools/supabase-local/sql/bootstrap.sql).
   */
  shadowPreambleSql?: string;
  /**
   * The SQL that builds, from empty, the database the schema file describes (store A: `prisma migrate diff
   * --from-empty --to-schema-datamodel prisma/schema.prisma --script`). When given, check also compares the schema
   * file with the migrations (a model changed without a migration is drift).
   */
  schemaFileSql?: () => Promise<string>;
}

/** Limits every step runs under. */
export interface PipelineLimits {
  /** MIGRATION_TIMEOUT: longest check, deploy, validate and health may each run (ms). */
  stepTimeoutMs: number;
  retry: import('./connection-retry').ConnectionRetrySettings;
}
