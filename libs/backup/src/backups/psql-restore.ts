import { quoteIdentifier } from '@dualwrite/stores';
import type { BackupKind, BackupManifest, BackupTableEntry } from './backup-manifest';

/** The manifest's `psqlRestore`: how to restore this backup with psql alone. */
export function psqlRestoreLines(kind: BackupKind, id: string, fullId: string): string[] {
  if (kind === 'incremental') {
    return [
      `An incremental backup is applied on top of its full backup (${fullId}) by the restore CLI (npm run restore -- --id=${id}); psql alone restores only the full one.`,
    ];
  }
  return [
    'Into an empty database (the script creates the tables, loads every file in one transaction, then adds constraints and indexes):',
    `cd <BACKUP_STORAGE_PATH>/${id} && psql -v ON_ERROR_STOP=1 --single-transaction -d <empty database URL> -f restore.psql`,
    'Into a database that already has the tables: empty them first (truncate), then run the \\copy lines of restore.psql.',
  ];
}

/** psql script: schema.sql, one `\copy ... from program 'gzip -dc ...'` per table (parents first), post-data.sql, sequences. */
export function psqlRestoreScript(schema: string, tables: BackupTableEntry[], serialKeyTables: string[]): string {
  const lines = ['-- Restores this full backup with psql alone; run from the backup folder:', '--   psql -v ON_ERROR_STOP=1 --single-transaction -d <empty database> -f restore.psql', 'set client_min_messages = warning;', '\\i schema.sql'];
  for (const table of tables) {
    const columns = table.columns.map(quoteIdentifier).join(', ');
    lines.push(`\\copy ${quoteIdentifier(schema)}.${quoteIdentifier(table.table)} (${columns}) from program 'gzip -dc ${table.data.path}'`);
  }
  lines.push('\\i post-data.sql');
  for (const table of tables) if (serialKeyTables.includes(table.table)) lines.push(sequenceResetSql(schema, table.table, table.primaryKey) + ';');
  return `${lines.join('\n')}\n`;
}

/** Moves a serial/identity key's sequence to the table's largest key (only for a key that has a sequence). */
export function sequenceResetSql(schema: string, table: string, keyColumn: string): string {
  const qualified = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  const key = quoteIdentifier(keyColumn);
  const literal = qualified.replace(/'/g, "''");
  const keyLiteral = keyColumn.replace(/'/g, "''");
  return (
    `select setval(s::regclass, coalesce((select max(${key}) from ${qualified})::bigint, 1), (select max(${key}) from ${qualified}) is not null) ` +
    `from (select pg_get_serial_sequence('${literal}', '${keyLiteral}') as s) as sequence where s is not null`
  );
}

export function psqlReadme(manifest: BackupManifest): string {
  const tables = manifest.tables.map((table) => `| ${table.table} | ${table.rowCount} | ${table.data.path} | ${table.checksum} |`);
  return [
    `# Backup ${manifest.id}`,
    '',
    `${manifest.kind} backup of store ${manifest.store} (${manifest.source.database}, schema ${manifest.source.schema}), snapshot at ${manifest.snapshotAt}.`,
    manifest.parentId ? `Parent: ${manifest.parentId}; full backup: ${manifest.fullId}; rows changed since ${manifest.since}.` : '',
    `Schema version ${manifest.schemaVersion ?? '(none recorded)'}; schema hash ${manifest.schemaHash}.`,
    '',
    '| table | rows at snapshot | file | content checksum |',
    '|---|---|---|---|',
    ...tables,
    '',
    '## Restore',
    '',
    'Preferred: `npm run restore -- --id=' + manifest.id + ' --target=<database URL>` (validates every file first, one transaction).',
    '',
    'With psql alone:',
    '',
    ...manifest.psqlRestore.map((line) => `    ${line}`),
    '',
    'Every file\'s sha256 is in manifest.json; check them first (`sha256sum`), a damaged file must not be restored.',
    '',
  ].join('\n');
}
