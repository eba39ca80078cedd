import { describeBadFile } from '@dualwrite/backup';
import { readCommandLine } from './args';
import { VALIDATE_USAGE, parseValidateArgs } from './backup-args';
import { err, out, runBackupCommand } from './backup-cli';
import { progressDisplay } from './backup-progress';

/** `npm run backup-validate -- --id=<id>`. Exit codes: 0 valid, 1 a bad file (named) or failed, 2 bad command line. */
const request = readCommandLine(parseValidateArgs, VALIDATE_USAGE);
if (request) {
  void runBackupCommand(async (backups) => {
    const progress = progressDisplay(`validate ${request.id}`);
    try {
      const report = await backups.validate(request.id, { onProgress: progress.listener });
      progress.stop();
      if (report.firstBadFile) {
        err(`INVALID: ${describeBadFile(report.firstBadFile)}`);
        return false;
      }
      out(`valid: ${report.chain.join(' + ')}: ${report.filesChecked} files re-hashed, ${report.rowsChecked} rows counted, ${report.durationMs} ms`);
      return true;
    } finally {
      progress.stop();
    }
  });
}
