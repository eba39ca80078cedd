import path from 'node:path';
import { MigrationPipeline, type PipelineReport, type PipelineStep, type PipelineStepReport } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit, parsedOrExit } from '@dualwrite/config';
import { readCommandLine } from './args';
import { dbUsage, parseDbArgs, type DbCommand } from './db-args';
import { pipelineOptions, pipelineTarget } from './db-targets';

/**
 * The body of every db:* command: reads the command line (exit 2 on a bad one) and the settings (exit 78), runs one
 * pipeline step or the whole chain on the chosen store, prints progress on stderr and the outcome (or, with
 * --json, the report) on stdout; exit 0 when it succeeded, 1 when not.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const STEP_OF: Record<Exclude<DbCommand, 'db:migrate'>, PipelineStep> = {
  'db:backup': 'backup',
  'db:migration:check': 'check',
  'db:migration:deploy': 'deploy',
  'db:migration:validate': 'validate',
  'db:health:check': 'health',
};

export async function runDbCommand(command: DbCommand): Promise<void> {
  const request = readCommandLine(parseDbArgs, dbUsage(command));
  if (!request) return;
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();
  const target = parsedOrExit(() => pipelineTarget(root, config, request.store));
  const progress = (line: string) => process.stderr.write(`[${command}] ${line}\n`);
  try {
    const pipeline = new MigrationPipeline(pipelineOptions(config, target, progress));
    if (command === 'db:migrate') {
      const report = await pipeline.run();
      print(request.json, report, summaryOf(report));
      process.exitCode = report.result === 'deployed' || report.result === 'up_to_date' ? 0 : 1;
    } else {
      const report = await pipeline.runStep(STEP_OF[command]);
      print(request.json, report, `${command} on ${target.store}: ${report.outcome.replace('_', ' ')}${stepNote(report)}`);
      process.exitCode = report.outcome === 'failed' ? 1 : 0;
    }
  } catch (error) {
    process.stderr.write(`${command} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

function print(json: boolean, report: unknown, summary: string): void {
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${summary}\n`);
}

function stepNote(report: PipelineStepReport): string {
  const detail = report.detail as { pending?: string[]; backupId?: string; applied?: string[] } | undefined;
  if (detail?.backupId) return ` (backup ${detail.backupId})`;
  if (detail?.pending) return ` (pending: ${detail.pending.join(', ') || 'none'})`;
  if (detail?.applied) return ` (applied: ${detail.applied.join(', ') || 'none'})`;
  return '';
}

function summaryOf(report: PipelineReport): string {
  const lines = [`db:migrate on ${report.store} (${report.database}): ${report.result.replace(/_/g, ' ')}`];
  if (report.backupId) lines.push(`  backup: ${report.backupId}`);
  if (report.restore) lines.push(`  restore: ${report.restore.outcome}${report.restore.error ? ` (${report.restore.error})` : ''}`);
  if (report.notification !== 'not_needed') {
    lines.push(`  notification: ${typeof report.notification === 'string' ? report.notification.replace('_', ' ') : `failed (${report.notification.failed})`}`);
  }
  return lines.join('\n');
}
