import { z } from 'zod';

/** Which store's database a backup was taken from: A (Prisma-managed PostgreSQL) or B (Supabase's Postgres). */
export type BackupStoreId = 'a' | 'b';
export type BackupKind = 'full' | 'incremental';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'dualwrite-backup/1';

const fileEntry = z.object({
  /** Path inside the backup directory. */
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Lines of COPY text (rows) inside the gzip stream; absent for SQL files. */
  rows: z.number().int().nonnegative().optional(),
});
export type BackupFileEntry = z.infer<typeof fileEntry>;

const tableEntry = z.object({
  entity: z.string(),
  table: z.string(),
  /** Every column of the table in the order the COPY files carry them. */
  columns: z.array(z.string()).min(1),
  primaryKey: z.string(),
  /**
   * Full: the table's rows. Incremental: rows whose version column is newer than `since` (upserted on restore)
   * and `deleted` keys (removed on restore).
   */
  data: fileEntry,
  deleted: fileEntry.optional(),
  /** Rows of the whole table at the snapshot, and its content checksum (StorePlugin.checksum's segment checksum). */
  rowCount: z.number().int().nonnegative(),
  checksum: z.string().regex(/^[0-9a-f]{32}$/),
  /** Incrementals: where the deleted keys came from, or why there are none. */
  deletions: z.string().optional(),
});
export type BackupTableEntry = z.infer<typeof tableEntry>;

export const backupManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  kind: z.enum(['full', 'incremental']),
  store: z.enum(['a', 'b']),
  /** The database name and schema the tables were read from (no credentials). */
  source: z.object({ database: z.string(), schema: z.string() }),
  createdAt: z.string(),
  /** The database clock when the snapshot began: the next incremental takes rows newer than this. */
  snapshotAt: z.string(),
  parentId: z.string().nullable(),
  fullId: z.string(),
  /** Incrementals: rows with a version newer than this (the parent's snapshotAt minus the overlap). */
  since: z.string().nullable(),
  schemaVersion: z.string().nullable(),
  schemaHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Full: a psql script that restores it alone; DDL to build the tables in an empty database (before data) and the constraints and indexes (after). */
  schemaFiles: z.object({ preData: fileEntry, postData: fileEntry, psqlScript: fileEntry }).nullable(),
  tables: z.array(tableEntry),
  totalRows: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative(),
  /** How to restore this backup with psql alone. */
  psqlRestore: z.array(z.string()),
});
export type BackupManifest = z.infer<typeof backupManifestSchema>;

/** Every file a manifest lists, in the order validation checks them. */
export function filesOf(manifest: BackupManifest): BackupFileEntry[] {
  const files: BackupFileEntry[] = [];
  if (manifest.schemaFiles) files.push(manifest.schemaFiles.preData, manifest.schemaFiles.postData, manifest.schemaFiles.psqlScript);
  for (const table of manifest.tables) {
    files.push(table.data);
    if (table.deleted) files.push(table.deleted);
  }
  return files;
}

/** A sortable, readable id: 20261129T192500123Z-full-a-3f9c. */
export function newBackupId(kind: BackupKind, store: BackupStoreId, now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${kind}-${store}-${random}`;
}

export const BACKUP_ID_PATTERN = /^[A-Za-z0-9._-]{1,120}$/;
