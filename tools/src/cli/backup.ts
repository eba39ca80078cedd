import { readCommandLine } from './args';
import { BACKUP_USAGE, parseBackupArgs } from './backup-args';
import { out, runBackupCommand } from './backup-cli';
import { progressDisplay } from './backup-progress';

/** `npm run backup -- [--store=a|b] [--kind=full|incremental]`. Exit codes: 0 done, 1 failed (named), 2 bad command line. */
const request = readCommandLine(parseBackupArgs, BACKUP_USAGE);
if (request) {
  void runBackupCommand(async (backups) => {
    const progress = progressDisplay(`backup ${request.backupKind} of store ${request.store}`);
    try {
      const manifest = await backups.create({ store: request.store, kind: request.backupKind, onProgress: progress.listener });
      progress.stop();
      out(`backup ${manifest.id}: ${manifest.kind} of store ${manifest.store}, ${manifest.totalRows} rows at the snapshot, ${manifest.totalBytes} bytes, ${manifest.durationMs} ms`);
      if (manifest.parentId) out(`  incremental on ${manifest.parentId} (full ${manifest.fullId}), rows changed since ${manifest.since}`);
      for (const table of manifest.tables) {
        const deleted = table.deleted ? `, ${table.deleted.rows} deleted keys` : '';
        out(`  ${table.table}: ${table.rowCount} rows, ${table.data.rows} in ${table.data.path}${deleted}, checksum ${table.checksum}`);
      }
      out(`  in ${backups.storagePath}/${manifest.id}`);
      return true;
    } finally {
      progress.stop();
    }
  });
}
