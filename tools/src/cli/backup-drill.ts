import { readCommandLine } from './args';
import { DRILL_USAGE, parseDrillArgs } from './backup-args';
import { err, out, runBackupCommand } from './backup-cli';
import { progressDisplay } from './backup-progress';

/** `npm run backup-drill -- (--id=<id> | --latest [--store=a|b])`. Exit codes: 0 the drill held, 1 it did not (named), 2 bad command line. */
const request = readCommandLine(parseDrillArgs, DRILL_USAGE);
if (request) {
  void runBackupCommand(async (backups) => {
    let id: string;
    if (request.kind === 'latest') {
      const [latest] = await backups.list({ store: request.store, status: 'complete', limit: 1 });
      if (!latest) {
        err(`no complete backup of store ${request.store} to drill`);
        return false;
      }
      id = latest.id;
    } else id = request.id;
    const progress = progressDisplay(`drill ${id}`);
    try {
      const report = await backups.drill(id, { onProgress: progress.listener });
      progress.stop();
      for (const table of report.tables) out(`  ${table.table}: ${table.actualRows}/${table.expectedRows} rows, checksum ${table.ok ? 'matches' : `${table.actualChecksum} ≠ ${table.expectedChecksum}`}`);
      if (!report.ok) {
        err(`DRILL FAILED for ${id}: ${report.failure}`);
        return false;
      }
      out(`drill of ${id} held: restored into ${report.scratchDatabase} (dropped again) in ${report.restoreMs} ms, every table's checksum matches the manifest`);
      return true;
    } finally {
      progress.stop();
    }
  });
}
