import path from 'node:path';
import { Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { loadEnvFiles, loadPlatformConfigOrExit, type PlatformConfig } from '@dualwrite/config';
import { FlagRepository, KeySync, OperationLedger, RolesMovedError, modeOf } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import {
  CopyAlreadyRunningError,
  CopySourceNotPrimaryError,
  CopyStoppedError,
  DistributedRunRepository,
  InitialCopy,
  RECONCILE_MIGRATIONS_DIR,
  RunAlreadyRunningError,
  RunSettingsError,
  SqlKeyLister,
  StorePageKeyLister,
  readForeignKeys,
  type CopyProgress,
  type CopyResult,
  type CopySide,
  type EntityCopyPlan,
  type EntityCopyResult,
  type InitialCopyDependencies,
} from '@dualwrite/reconcile';
import { readCommandLine } from './args';
import { entityLines, startAndFollow } from './distributed-run';
import { openOperatorResources, type OperatorResources } from './operator-resources';
import { COPY_DATA_USAGE, parseCopyDataArgs, type CopyDataRequest, type CopyMethod } from './copy-data-args';
import { openProgress, type ProgressTask } from './progress-output';

/**
 * `npm run copy-data -- --entity=all|<name> [--rate=rows/s] [--dry-run] [--from=a|b] [--chunk-size=N] [--method=stream|key-sync]`:
 * the initial copy (libs/reconcile/src/copy). Store A over PRIMARY_DATABASE_URL (keys and foreign keys read in SQL),
 * store B over its REST API, its keys in SQL when SUPABASE_DB_URL is set; with it, chunks stream as COPY between
 * the two databases. Exit codes: 0 copied (or listed), 1 refused, stopped or failed (a rerun resumes), 2 bad
 * command line, 78 bad config.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

/** Source and target as --from says; keys in SQL where there is a connection string, over the plugin's paging otherwise. */
function sides(resources: OperatorResources, from: 'a' | 'b'): { source: CopySide; target: CopySide } {
  const { stores, pools } = resources;
  const catalog = pools.a;
  const side = (name: 'a' | 'b'): CopySide => {
    const pool = pools[name];
    const schema = name === 'b' ? 'public' : undefined;
    return {
      store: stores[name],
      keys: pool ? new SqlKeyLister(pool, schema) : new StorePageKeyLister(stores[name]),
      // Both stores hold the same tables: store A's catalog gives the parent-first order either way.
      foreignKeys: () => readForeignKeys(catalog),
    };
  };
  return from === 'a' ? { source: side('a'), target: side('b') } : { source: side('b'), target: side('a') };
}

/**
 * Both databases for a COPY-streamed copy (store A's and, with SUPABASE_DB_URL, store B's); undefined: through
 * KeySync, asked for or without SUPABASE_DB_URL. `--method=stream` without SUPABASE_DB_URL is refused.
 */
function streamSides(resources: OperatorResources, from: 'a' | 'b', method: CopyMethod): InitialCopyDependencies['stream'] {
  const { a, b } = resources.pools;
  if (method === 'key-sync') return undefined;
  if (!b) {
    if (method === 'stream') throw new Error("--method=stream copies between the two databases: set SUPABASE_DB_URL (store B's PostgreSQL)");
    return undefined;
  }
  const sideA = { pool: a };
  const sideB = { pool: b, schema: 'public' };
  return from === 'a' ? { source: sideA, target: sideB } : { source: sideB, target: sideA };
}

/** A bar per entity's chunks on a terminal, plain lines otherwise (progress-output.ts); speed changes and re-checks as they happen. */
function progressDisplay(): { listener: (event: CopyProgress) => void; stop(): void } {
  const progress = openProgress();
  const tasks = new Map<string, ProgressTask>();
  const rows = new Map<string, number>();
  return {
    listener: (event) => {
      switch (event.kind) {
        case 'entity-start': {
          rows.set(event.entity, 0);
          const task = progress.task(event.entity, event.chunks, 'chunks', { done: event.chunksDone, detail: `${event.rowsPlanned} rows planned` });
          tasks.set(event.entity, task);
          task.status(`${event.resumed ? `resumed run ${event.runId}` : `run ${event.runId}`} (${event.chunksDone} chunks done before)`);
          return;
        }
        case 'chunk': {
          const copied = (rows.get(event.entity) ?? 0) + event.rowsCopied;
          rows.set(event.entity, copied);
          tasks.get(event.entity)?.advance(event.chunksDone, `${copied} rows copied`);
          return;
        }
        case 'speed':
          progress.line(`${event.entity}: speed ${Math.round(event.factor * 100)} % (primary write p95 ${event.recentP95Ms ?? '-'} ms, before the copy ${event.baselineP95Ms ?? '-'} ms)`);
          return;
        case 'recheck':
          tasks.get(event.entity)?.status(`re-checking ${event.keys} keys written during the copy`);
          return;
        case 'entity-done':
          tasks.get(event.result.entity)?.status('done');
          return;
      }
    },
    stop: () => progress.stop(),
  };
}

function resultLine(result: EntityCopyResult): string {
  return (
    `${result.entity}: ${result.sourceStore} → ${result.targetStore}, run ${result.runId}${result.resumed ? ' (resumed)' : ''}: ` +
    `${result.chunksCopied} chunks copied, ${result.chunksSkipped} done before; ${result.rowsCopied} rows copied, ${result.rowsDeleted} deleted ` +
    `(delete proven by the ledger); ${result.keysRechecked} keys re-checked; ${result.keysLeft.length} left; ${result.durationMs} ms; ` +
    `chunks by COPY ${result.chunksVia.copy}, by merge ${result.chunksVia.merge}, through KeySync ${result.chunksVia.keySync}`
  );
}

function planLines(plan: EntityCopyPlan): string[] {
  const head = `${plan.entity}: ${plan.chunks.length} chunks, ${plan.rows} rows${plan.resumesRun ? ` (resumes run ${plan.resumesRun})` : ''}`;
  return [head, ...plan.chunks.map((chunk) => `  chunk ${chunk.chunkNo}: keys (${chunk.afterKey ?? 'start'}, ${chunk.upToKey ?? 'end'}] ${chunk.rows} rows`)];
}

/** --distributed: the copy queued for the workers (RunCoordinator) and followed; exit 1 unless it completes. */
async function runDistributed(request: Extract<CopyDataRequest, { kind: 'copy' }>, config: PlatformConfig): Promise<void> {
  if (!config.supabase) throw new Error('Supabase is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is no store B to copy with.');
  await new SqlMigrationRunner('platform', RECONCILE_MIGRATIONS_DIR).run(config.controlDatabaseUrl);
  const control = new Pool({ connectionString: config.controlDatabaseUrl, max: 2 });
  control.on('error', () => undefined);
  try {
    const options = { ...(request.chunkSize === undefined ? {} : { segmentRows: request.chunkSize }), ...(request.rate === undefined ? {} : { rate: request.rate }) };
    const progress = await startAndFollow(config, control, exampleEntities, { kind: 'copy', selection: request.entities, from: request.from, options }, err);
    if (!progress) {
      process.exitCode = 1;
      return;
    }
    for (const line of entityLines(progress)) out(line);
    out(`copy run ${progress.runId} ${progress.status} in ${progress.elapsedMs} ms: ${progress.rows.covered} rows copied, ${progress.keysLeft} keys left`);
    if (progress.status !== 'completed') {
      err(`copy run ${progress.runId} ${progress.status}${progress.error ? `: ${progress.error}` : ''}; a rerun resumes its unfinished chunks`);
      process.exitCode = 1;
    }
  } catch (error) {
    const refusal = [RunAlreadyRunningError, CopyAlreadyRunningError, RunSettingsError, CopySourceNotPrimaryError].some((type) => error instanceof type);
    if (!refusal || !(error instanceof Error)) throw error;
    err(`copy-data refused: ${error.message}`);
    process.exitCode = error instanceof RunSettingsError ? 78 : 1;
  } finally {
    await control.end();
  }
}

/** A distributed copy (the workers') holding an entity refuses an in-process one (its tables exist once one ran). */
async function refuseDistributed(control: Pool, entities: readonly string[]): Promise<void> {
  const { rows } = await control.query<{ exists: boolean }>(`select to_regclass('distributed_run_locks') is not null as exists`);
  if (!rows[0]?.exists) return;
  const runs = new DistributedRunRepository(control);
  for (const entity of entities) {
    const holder = await runs.holder('copy', entity);
    if (holder) throw new RunAlreadyRunningError('copy', entity, holder);
  }
}

async function run(request: Extract<CopyDataRequest, { kind: 'copy' }>): Promise<void> {
  const config = loadPlatformConfigOrExit();
  await new SqlMigrationRunner('platform', path.join(root, 'libs', 'dual-write', 'migrations')).run(config.controlDatabaseUrl);
  if (request.distributed) return runDistributed(request, config);
  const resources = openOperatorResources(config, 'copy with');
  const controller = new AbortController();
  const stop = () => {
    err('stopping after the batch in progress (a rerun resumes at the first unfinished chunk)');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { source, target } = sides(resources, request.from);
    const stream = streamSides(resources, request.from, request.method);
    const copy = new InitialCopy({
      entities: exampleEntities,
      source,
      target,
      sourceSide: request.from,
      control: resources.pools.control,
      keySync: new KeySync({ pool: resources.pools.control, ledger: new OperationLedger(resources.pools.control) }),
      stream,
    });
    if (request.dryRun) {
      for (const plan of await copy.dryRun(request.entities, { chunkSize: request.chunkSize })) planLines(plan).forEach((text) => out(text));
      out('dry run: nothing written');
      return;
    }
    err(stream ? 'copying by COPY between the two databases (--method=stream)' : "copying through the key sync over the stores' APIs (--method=key-sync)");
    // A source that is not the primary is refused by the copy itself (CopySourceNotPrimaryError), before any write.
    const mode = modeOf(await new FlagRepository(resources.pools.control).read());
    if (!mode.dual) err(`warning: dual writes are off (${mode.name}): writes after the copy passes a key are not mirrored; copy in phase 2 (or 3 for --from=b)`);
    await refuseDistributed(resources.pools.control, request.entities === 'all' ? exampleEntities.map((entity) => entity.name) : request.entities);
    const display = progressDisplay();
    let result: CopyResult;
    try {
      result = await copy.copy(request.entities, { chunkSize: request.chunkSize, rate: request.rate, signal: controller.signal, onProgress: display.listener });
    } finally {
      display.stop();
    }
    for (const entity of result.entities) {
      out(resultLine(entity));
      for (const left of entity.keysLeft.slice(0, 20)) out(`  left ${left.key}: ${left.reason}`);
      if (entity.keysLeft.length > 20) out(`  … and ${entity.keysLeft.length - 20} more (reconcile-data lists them all)`);
    }
    out(`copy done in ${result.durationMs} ms`);
  } catch (error) {
    if (
      error instanceof CopyStoppedError ||
      error instanceof CopyAlreadyRunningError ||
      error instanceof RunAlreadyRunningError ||
      error instanceof CopySourceNotPrimaryError ||
      error instanceof RolesMovedError
    ) {
      err(error.message);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await resources.close();
  }
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const names = exampleEntities.map((entity) => entity.name);
  const request = readCommandLine((argv) => parseCopyDataArgs(argv, names), COPY_DATA_USAGE);
  if (!request) return;
  try {
    await run(request);
  } catch (error) {
    err(`copy-data failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
