import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  BackupService,
  DEFAULT_CONNECTION_RETRY,
  PgDumpPipelineBackups,
  VerifiedPipelineBackups,
  WebhookNotifier,
  type MigrationPipelineOptions,
  type PipelineTarget,
} from '@dualwrite/backup';
import { ConfigError, type PlatformConfig } from '@dualwrite/config';
import { exampleEntities } from '@dualwrite/example-domain';
import type { EntityDefinition } from '@dualwrite/stores';
import type { DbStore } from './db-args';

const run = promisify(execFile);

/**
 * What `prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script` builds: the database
 * schema.prisma describes, as SQL (works without Prisma's schema engine; prisma.config.ts only needs a reachable
 * database, the server's maintenance one).
 */
function prismaSchemaSql(root: string, databaseUrl: string): () => Promise<string> {
  return async () => {
    const maintenance = new URL(databaseUrl);
    maintenance.pathname = '/postgres';
    const { stdout } = await run(
      process.execPath,
      [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      { cwd: root, env: { ...process.env, PRIMARY_DATABASE_URL: maintenance.toString(), PRISMA_HIDE_UPDATE_MESSAGE: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  };
}

/** The database a db:* command works on: store A (Prisma) or store B (Supabase's Postgres). */
export function pipelineTarget(root: string, config: PlatformConfig, store: DbStore): PipelineTarget {
  if (store === 'prisma') {
    return {
      store,
      databaseUrl: config.primaryDatabaseUrl,
      layout: 'prisma',
      migrationsDir: path.join(root, 'prisma', 'migrations'),
      entities: exampleEntities,
      schemaFileSql: prismaSchemaSql(root, config.primaryDatabaseUrl),
    };
  }
  const dbUrl = config.supabase?.dbUrl;
  if (!dbUrl) throw new ConfigError('SUPABASE_DB_URL', "is missing: --store=supabase runs on store B's Postgres connection");
  return {
    store,
    databaseUrl: dbUrl,
    layout: 'supabase',
    migrationsDir: path.join(root, 'supabase', 'migrations'),
    entities: exampleEntities,
    // A shadow database needs what every Supabase project has before its first migration: roles, auth.uid().
    shadowPreambleSql: readFileSync(path.join(root, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8'),
  };
}

/** The pipeline's options from the settings. */
export function pipelineOptions(config: PlatformConfig, target: PipelineTarget, onProgress: (line: string) => void): MigrationPipelineOptions {
  const storagePath = path.resolve(config.backupStoragePath);
  const backupStore = target.store === 'supabase' ? 'b' : 'a';
  const openBackupService = (entities: EntityDefinition[]) =>
    new BackupService({ storagePath, controlDatabaseUrl: config.controlDatabaseUrl, entities, sources: { [backupStore]: { databaseUrl: target.databaseUrl } } });
  return {
    target,
    backups: new VerifiedPipelineBackups(openBackupService, new PgDumpPipelineBackups(storagePath, DEFAULT_CONNECTION_RETRY), backupStore),
    ...(config.notificationWebhook ? { notifier: new WebhookNotifier(config.notificationWebhook) } : {}),
    rollbackEnabled: config.rollbackEnabled,
    limits: { stepTimeoutMs: config.migrationTimeoutMs, retry: DEFAULT_CONNECTION_RETRY },
    onProgress,
  };
}
