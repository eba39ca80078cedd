import { hostname } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { KeySync, OperationLedger } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import {
  DataRepair,
  RECONCILE_MIGRATIONS_DIR,
  RepairInputError,
  readReconcileRun,
  readReportFile,
  type PlannedKeyAction,
  type RepairActionKind,
  type RepairInput,
  type RepairProgress,
} from '@dualwrite/reconcile';
import { readCommandLine } from './args';
import { openOperatorResources } from './operator-resources';
import { openProgress, type ProgressOutput, type ProgressTask } from './progress-output';
import { COMPENSATE_DATA_USAGE, parseCompensateDataArgs, type CompensateDataRequest } from './compensate-data-args';

/**
 * `npm run compensate-data -- (--report=<file> | --run=<uuid>) [--apply] [--json]`: repairs a reconcile run's findings
 * (libs/reconcile/src/repair). A dry run unless --apply. Stores through their plugins (Prisma for store A, supabase-js
 * for store B), the primary as the flags in the control database say. Exit codes: 0 planned, or applied with nothing
 * left; 1 keys left after --apply, input refused or failed; 2 bad command line; 78 bad config.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

function actionLine(action: PlannedKeyAction): string {
  return `  ${action.entity} ${action.key}: ${action.detail}${action.reason && action.action !== 'leave' ? ` (${action.reason})` : ''}`;
}

function countActions(actions: readonly PlannedKeyAction[]): string {
  const counts = new Map<RepairActionKind, number>();
  for (const action of actions) counts.set(action.action, (counts.get(action.action) ?? 0) + 1);
  return [...counts].map(([action, count]) => `${action} ${count}`).join(', ') || 'no keys';
}

const STEP_LABELS: Record<RepairProgress['step'], string> = { assess: 'assess', sync: 'repair', recheck: 're-check' };

/** A progress task per step of the repair (assess, sync, re-check), opened at the step's first batch. */
function progressListener(progress: ProgressOutput): (event: RepairProgress) => void {
  const tasks = new Map<RepairProgress['step'], ProgressTask>();
  return (event) => {
    let task = tasks.get(event.step);
    if (!task) {
      task = progress.task(STEP_LABELS[event.step], event.keysTotal, 'keys');
      tasks.set(event.step, task);
    }
    task.advance(event.keysDone);
  };
}

async function readInput(request: Extract<CompensateDataRequest, { kind: 'compensate' }>, control: Pool): Promise<RepairInput> {
  return 'report' in request.source ? readReportFile(path.resolve(request.source.report)) : readReconcileRun(control, request.source.run);
}

async function run(request: Extract<CompensateDataRequest, { kind: 'compensate' }>): Promise<void> {
  const config = loadPlatformConfigOrExit();
  await new SqlMigrationRunner('platform', path.join(root, 'libs', 'dual-write', 'migrations')).run(config.controlDatabaseUrl);
  await new SqlMigrationRunner('platform', RECONCILE_MIGRATIONS_DIR).run(config.controlDatabaseUrl);
  const resources = openOperatorResources(config, 'repair');
  const progress = openProgress();
  try {
    const input = await readInput(request, resources.pools.control);
    const ledger = new OperationLedger(resources.pools.control);
    const repair = new DataRepair({
      entities: exampleEntities,
      stores: resources.stores,
      control: resources.pools.control,
      keySync: new KeySync({ pool: resources.pools.control, ledger }),
      ledger,
      onProgress: progressListener(progress),
    });
    const from = input.origin.kind === 'file' ? `report ${input.origin.path} (run ${input.runId})` : `reconcile run ${input.runId}`;
    if (!request.apply) {
      const plan = await repair.plan(input).finally(() => progress.stop());
      if (request.json) {
        out(JSON.stringify(plan, null, 2));
        return;
      }
      out(`dry run of the repair of ${from}: ${plan.primaryStore} is the primary, ${plan.secondaryStore} the secondary`);
      plan.warnings.forEach((warning) => err(`warning: ${warning}`));
      plan.actions.forEach((action) => out(actionLine(action)));
      for (const action of plan.actions.filter((planned) => planned.action === 'leave')) out(`  left ${action.entity} ${action.key}: ${action.reason ?? ''}`);
      out(`${plan.actions.length} keys: ${countActions(plan.actions)}`);
      out('dry run: nothing written (--apply repairs)');
      return;
    }
    const result = await repair.apply(input, { requestedBy: `${hostname()}:${process.pid}` }).finally(() => progress.stop());
    if (request.json) out(JSON.stringify(result, null, 2));
    else {
      out(`repair ${result.repairId} of ${from}: from ${result.primaryStore} to ${result.secondaryStore}`);
      result.warnings.forEach((warning) => err(`warning: ${warning}`));
      result.actions.forEach((action) => out(`  ${action.entity} ${action.key}: ${action.action} → ${action.outcome}${action.stillDiffers ? ' (still differs)' : ''}`));
      const { counts } = result;
      out(`copied ${counts.copied}, deleted ${counts.deleted}, left ${counts.left}, skipped ${counts.skipped}, nothing to do ${counts.nothing}, failed ${counts.failed}; ${result.durationMs} ms`);
      out(`re-check: ${result.left.length === 0 ? 'zero keys left' : `${result.left.length} keys left`}`);
      result.left.forEach((left) => out(`  left ${left.entity} ${left.key}: ${left.reason}`));
      out('audited in repair_runs / repair_actions');
    }
    if (result.left.length > 0) process.exitCode = 1;
  } catch (error) {
    if (error instanceof RepairInputError) {
      err(`compensate-data refused: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    progress.stop();
    await resources.close();
  }
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const request = readCommandLine(parseCompensateDataArgs, COMPENSATE_DATA_USAGE);
  if (!request) return;
  try {
    await run(request);
  } catch (error) {
    err(`compensate-data failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
