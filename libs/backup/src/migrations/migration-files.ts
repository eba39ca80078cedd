import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Who owns the migrations: Prisma Migrate, the Supabase CLI, or the platform's own control tables. */
export type MigrationLayout = 'prisma' | 'supabase' | 'platform';

export interface MigrationFile {
  /** Prisma: the folder name (`20261124000000_init`); Supabase: the version prefix (`20261124000000`). */
  id: string;
  name: string;
  sql: string;
  /** sha256 hex of the SQL text, the checksum Prisma Migrate records. */
  checksum: string;
}

/**
 * Reads migrations in the layout of the tool that owns them:
 * - prisma:   <dir>/<timestamp>_<name>/migration.sql
 * - supabase, platform: <dir>/<timestamp>_<name>.sql
 * Sorted by id, the order both tools apply them in.
 */
export function readMigrationFiles(layout: MigrationLayout, dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new Error(`Migration folder ${dir} does not exist.`);
  const files: MigrationFile[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (layout === 'prisma') {
      if (!statSync(full).isDirectory()) continue;
      const file = path.join(full, 'migration.sql');
      if (!existsSync(file)) throw new Error(`Prisma migration ${entry} has no migration.sql.`);
      files.push(toMigrationFile(entry, entry, readFileSync(file, 'utf8')));
    } else {
      const match = /^(\d+)_(.+)\.sql$/.exec(entry);
      if (!match) continue;
      files.push(toMigrationFile(match[1], match[2], readFileSync(full, 'utf8')));
    }
  }
  return files;
}

function toMigrationFile(id: string, name: string, sql: string): MigrationFile {
  return { id, name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
}
