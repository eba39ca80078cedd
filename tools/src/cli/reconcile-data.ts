import { hostname } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit, type PlatformConfig } from '@dualwrite/config';
import { FlagRepository } from '@dualwrite/dual-write';
import { createExampleStores, exampleEntities } from '@dualwrite/example-domain';
import {
  LedgerActivity,
  DistributedRunRepository,
  RECONCILE_MIGRATIONS_DIR,
  ReconcileRunRepository,
  Reconciler,
  RunAlreadyRunningError,
  RunSettingsError,
  readDistributedReconcileResult,
  SqlTableReader,
  writeReconcileReport,
  type ReconcileRunResult,
  type ReconcileSide,
  type ReconcilerDependencies,
} from '@dualwrite/reconcile';
import { readCommandLine } from './args';
import { entityLines, startAndFollow } from './distributed-run';
import { openProgress, type ProgressTask } from './progress-output';
import { ReconcileAlreadyRunningError, lockReconcileEntities, type HeldReconcileLocks } from './reconcile-lock';
import { RECONCILE_USAGE, parseReconcileArgs, type ReconcileRequest } from './reconcile-args';

/**
 * `npm run reconcile-data -- --entity=all|<name> [--report] [--max-findings=N]`: compares whole tables of store A
 * (its PostgreSQL, PRIMARY_DATABASE_URL) and store B (SUPABASE_DB_URL when set, else the REST API), primary and
 * secondary as the current flags say; re-checks keys the ledger shows written during the run; stores the run and
 * its findings in the control database; prints a summary per entity. Exit codes: 0 findings within
 * --max-findings, 1 more findings (a deploy gate) or an entity failed, 2 bad command line, 78 bad config.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

interface Sides {
  a: ReconcileSide;
  b: ReconcileSide;
  close(): Promise<void>;
}

/** Store A read over its own PostgreSQL; store B over its PostgreSQL when SUPABASE_DB_URL is set, else over REST. */
function openSides(config: PlatformConfig): Sides {
  if (!config.supabase) throw new Error('Supabase is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is no store B to reconcile with.');
  const poolA = new Pool({ connectionString: config.primaryDatabaseUrl, max: 4 });
  poolA.on('error', () => undefined);
  const a = new SqlTableReader('prisma', poolA);
  if (config.supabase.dbUrl) {
    const poolB = new Pool({ connectionString: config.supabase.dbUrl, max: 4 });
    poolB.on('error', () => undefined);
    return { a, b: new SqlTableReader('supabase', poolB, { schema: 'public' }), close: async () => void (await Promise.all([poolA.end(), poolB.end()])) };
  }
  const stores = createExampleStores({ ...config, supabase: { ...config.supabase, dbUrl: undefined } });
  const rest = stores.b;
  if (!rest) throw new Error('Supabase is not configured.');
  return { a, b: rest, close: async () => void (await Promise.all([poolA.end(), stores.a.close(), rest.close()])) };
}

function summaryLine(result: ReconcileRunResult['entities'][number]): string {
  if (result.error) return `${result.entity}: FAILED ${result.error}`;
  const { counts, severity, work } = result;
  return (
    `${result.entity}: ${counts.primary} rows on ${result.primaryStore}, ${counts.secondary} on ${result.secondaryStore}; ` +
    `missing on ${result.secondaryStore} ${result.missingInSecondary.length}, on ${result.primaryStore} ${result.missingInPrimary.length}, ` +
    `differing fields ${result.differingFields.length} (error ${severity.error}, warning ${severity.warning}, info ${severity.info}); ` +
    `${work.segmentsVisited} segments checked, ${work.segmentsMismatched} differed, ${work.rowsCompared} rows read; ${result.durationMs} ms`
  );
}

/** A Reconciler that reports each entity it starts and finishes (entities done, findings so far) to a progress task. */
class ProgressReconciler extends Reconciler {
  private done = 0;
  private findings = 0;

  constructor(
    dependencies: ReconcilerDependencies,
    private readonly progress: ProgressTask,
  ) {
    super(dependencies);
  }

  override async reconcileEntity(...args: Parameters<Reconciler['reconcileEntity']>): ReturnType<Reconciler['reconcileEntity']> {
    this.progress.status(`comparing ${args[0].name}`);
    const result = await super.reconcileEntity(...args);
    this.done += 1;
    this.findings += result.findings.length;
    this.progress.advance(this.done, `${this.findings} findings so far`);
    return result;
  }
}

/** Summary lines, the report file, and the exit code (1 over --max-findings or when an entity failed). */
async function reportResult(result: ReconcileRunResult, request: Extract<ReconcileRequest, { kind: 'reconcile' }>): Promise<void> {
  for (const entity of result.entities) out(summaryLine(entity));
  out(`run ${result.runId}: ${result.totals.findings} findings in ${result.durationMs} ms (stored in reconcile_runs / reconcile_findings)`);
  if (request.report) out(`report: ${await writeReconcileReport(result, path.resolve(request.reportDir))}`);
  const failed = result.entities.filter((entity) => entity.error !== undefined);
  if (failed.length > 0) {
    err(`not reconciled: ${failed.map((entity) => entity.entity).join(', ')}`);
    process.exitCode = 1;
  } else if (result.totals.findings > request.maxFindings) {
    err(`${result.totals.findings} findings, more than --max-findings=${request.maxFindings}`);
    process.exitCode = 1;
  }
}

/** --distributed: the run queued for the workers (RunCoordinator) and followed; refused like a second reconcile-data. */
async function runDistributed(request: Extract<ReconcileRequest, { kind: 'reconcile' }>, config: PlatformConfig): Promise<void> {
  const control = new Pool({ connectionString: config.controlDatabaseUrl, max: 2 });
  control.on('error', () => undefined);
  try {
    const progress = await startAndFollow(config, control, exampleEntities, { kind: 'reconcile', selection: request.entities, options: { segmentRows: request.segmentRows } }, err);
    if (!progress) {
      process.exitCode = 1;
      return;
    }
    const result = await readDistributedReconcileResult(control, progress.runId);
    if (!result) {
      for (const line of entityLines(progress)) out(line);
      err(`run ${progress.runId} ${progress.status}${progress.error ? `: ${progress.error}` : ''}`);
      process.exitCode = 1;
      return;
    }
    await reportResult(result, request);
  } catch (error) {
    if (!(error instanceof RunAlreadyRunningError) && !(error instanceof RunSettingsError)) throw error;
    err(`reconcile-data refused: ${error.message}`);
    process.exitCode = error instanceof RunSettingsError ? 78 : 1;
  } finally {
    await control.end();
  }
}

async function run(request: Extract<ReconcileRequest, { kind: 'reconcile' }>): Promise<void> {
  const config = loadPlatformConfigOrExit();
  await new SqlMigrationRunner('platform', RECONCILE_MIGRATIONS_DIR).run(config.controlDatabaseUrl);
  if (request.distributed) return runDistributed(request, config);
  // One connection holds the entities' reconcile locks for the whole run.
  const control = new Pool({ connectionString: config.controlDatabaseUrl, max: 3 });
  control.on('error', () => undefined);
  const sides = openSides(config);
  let locks: HeldReconcileLocks | undefined;
  try {
    const names = request.entities === 'all' ? exampleEntities.map((entity) => entity.name) : request.entities;
    locks = await lockReconcileEntities(control, names, `${hostname()}:${process.pid}`);
    await refuseDistributed(control, names);
    const flags = await new FlagRepository(control).read();
    const [primary, secondary] = flags.enableSupabasePrimary ? [sides.b, sides.a] : [sides.a, sides.b];
    const progress = openProgress();
    const total = request.entities === 'all' ? exampleEntities.length : request.entities.length;
    const reconciler = new ProgressReconciler({ entities: exampleEntities, primary, secondary, ledger: new LedgerActivity(control) }, progress.task('reconcile', total, 'entities'));
    let result: ReconcileRunResult;
    try {
      result = await reconciler.run(request.entities);
    } finally {
      progress.stop();
    }
    await new ReconcileRunRepository(control).save(result, request.entities);
    await reportResult(result, request);
  } catch (error) {
    if (!(error instanceof ReconcileAlreadyRunningError) && !(error instanceof RunAlreadyRunningError)) throw error;
    err(`reconcile-data refused: ${error.message}`);
    process.exitCode = 1;
  } finally {
    await locks?.release().catch(() => undefined);
    await Promise.allSettled([sides.close(), control.end()]);
  }
}

/** A distributed reconcile run (the workers') holding an entity refuses an in-process one too. */
async function refuseDistributed(control: Pool, entities: readonly string[]): Promise<void> {
  const runs = new DistributedRunRepository(control);
  for (const entity of entities) {
    const holder = await runs.holder('reconcile', entity);
    if (holder) throw new RunAlreadyRunningError('reconcile', entity, holder);
  }
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const names = exampleEntities.map((entity) => entity.name);
  const request = readCommandLine((argv) => parseReconcileArgs(argv, names), RECONCILE_USAGE);
  if (!request) return;
  try {
    await run(request);
  } catch (error) {
    err(`reconcile-data failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
