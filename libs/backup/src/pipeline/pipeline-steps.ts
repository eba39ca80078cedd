import { checkDatabaseHealth } from './health-check';
import { checkMigrations } from './migration-check';
import { deployMigrations } from './migration-deploy';
import { validateMigrations } from './migration-validate';
import type { PipelineStep, StepOutcome } from './pipeline-decision';
import type { PipelineBackups } from './pipeline-backups';
import type { PipelineLimits, PipelineTarget } from './pipeline-target';
import { describeDifference, type SchemaDifference } from './schema-diff';
import { runWithTimeout } from './step-timeout';

export interface StepRun {
  outcome: StepOutcome;
  /** The step's own report (check, deploy, validate, health) or the backup id. */
  detail?: unknown;
  /** Why the step failed, one line per problem. */
  problems?: string[];
  backupId?: string;
}

const SHOWN = 10;
const differenceLines = (label: string, differences: SchemaDifference[]) =>
  differences.slice(0, SHOWN).map((difference) => `${label}: ${describeDifference(difference)}`).concat(
    differences.length > SHOWN ? [`${label}: … and ${differences.length - SHOWN} more`] : [],
  );

/**
 * Runs one pipeline step and says how it went: a step that finds a problem (drift, a failed smoke test, an
 * unhealthy database) comes back `failed` with the problems; a step that cannot run at all throws.
 * check, deploy, validate and health each run under MIGRATION_TIMEOUT.
 */
export async function runPipelineStep(step: PipelineStep, target: PipelineTarget, backups: PipelineBackups, limits: PipelineLimits): Promise<StepRun> {
  switch (step) {
    case 'check': {
      const report = await runWithTimeout('check', limits.stepTimeoutMs, (signal) => checkMigrations(target, limits.retry, signal));
      const problems = [
        ...report.modified.map((id) => `migration ${id} was edited after it was applied`),
        ...report.unknownApplied.map((id) => `migration ${id} is recorded as applied but has no file`),
        ...(report.pendingFailure ? [`pending migration ${report.pendingFailure.migration} fails on an empty shadow database: ${report.pendingFailure.error}`] : []),
        ...report.conflicts.map((table) => `table ${table} already exists but a pending migration creates it (a database whose ledger does not record its migrations: baseline the ledger first)`),
        ...differenceLines('drift (database vs applied migrations)', report.drift),
        ...differenceLines('drift (schema file vs migrations)', report.schemaFileDrift),
      ];
      if (!report.ok) return { outcome: 'failed', detail: report, problems };
      return { outcome: report.pending.length === 0 ? 'nothing_pending' : 'succeeded', detail: report };
    }
    case 'backup': {
      const { id } = await backups.backup(target);
      return { outcome: 'succeeded', detail: { backupId: id, kind: backups.kind }, backupId: id };
    }
    case 'deploy': {
      const report = await deployMigrations(target, limits);
      return { outcome: 'succeeded', detail: report };
    }
    case 'validate': {
      const report = await runWithTimeout('validate', limits.stepTimeoutMs, (signal) => validateMigrations(target, limits.retry, signal));
      const problems = [
        ...differenceLines('schema', report.differences),
        ...report.missingEntityColumns.map((column) => `entity registry: ${column} is missing`),
        ...report.smokeTest.filter((result) => !result.ok).map((result) => `smoke test ${result.entity}: ${result.error}`),
      ];
      return { outcome: report.ok ? 'succeeded' : 'failed', detail: report, problems };
    }
    case 'health': {
      const report = await runWithTimeout('health', limits.stepTimeoutMs, (signal) => checkDatabaseHealth(target, limits.retry, signal));
      const problems = [
        ...(report.writable ? [] : ['the database does not take writes (standby or read-only)']),
        ...report.unreadableTables.map(({ table, error }) => `table ${table} cannot be read: ${error}`),
      ];
      return { outcome: report.ok ? 'succeeded' : 'failed', detail: report, problems };
    }
  }
}
