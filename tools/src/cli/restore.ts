import { readCommandLine } from './args';
import { RESTORE_USAGE, parseRestoreArgs } from './backup-args';
import { out, runBackupCommand } from './backup-cli';
import { progressDisplay } from './backup-progress';

/**
 * `npm run restore -- --id=<id> (--target=<url> | --into-store=a|b) [--dry-run] [--force] [--yes]`: restores a backup
 * (and the incrementals up to it) in one transaction. Exit codes: 0 done, 1 refused or failed (named), 2 bad command line.
 */
const request = readCommandLine(parseRestoreArgs, RESTORE_USAGE);
if (request) {
  void runBackupCommand(async (backups) => {
    const targetUrl = 'url' in request.target ? request.target.url : backups.databaseUrlOf(request.target.store);
    const progress = progressDisplay(`restore ${request.id}`);
    try {
      const verify = request.verifyChecksums ? 'checksums' : 'counts';
      const report = await backups.restore(request.id, { targetUrl, force: request.force, dryRun: request.dryRun, verify, onProgress: progress.listener });
      progress.stop();
      out(`${report.dryRun ? 'dry run: would restore' : 'restored'} ${report.chain.join(' + ')} into ${report.target} (${report.mode})`);
      if (!report.schemaMatches) out(`  schema differs${report.forced ? ' (forced)' : ''}: ${report.schemaDifferences.join('; ')}`);
      for (const table of report.tables) out(`  ${table.table}: ${table.rowsNow ?? '(no table)'} rows now → ${table.rowsAfter} rows`);
      if (!report.dryRun) out(`  ${report.rowsRestored} rows loaded, every table's ${report.verified === 'checksums' ? 'row count and content checksum match' : 'row count matches'} the manifest, ${report.durationMs} ms`);
      if (report.dryRun && !report.schemaMatches && !request.force) out('  a restore would be refused: pass --force to restore anyway');
      return true;
    } finally {
      progress.stop();
    }
  });
}
