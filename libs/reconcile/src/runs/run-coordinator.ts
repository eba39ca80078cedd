import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Queue } from 'bullmq';
import { EntityRegistry, type EntityDefinition } from '@dualwrite/stores';
import { CopyRunRepository } from '../copy/copy-repository';
import { assertSourceIsPrimary } from '../copy/copy-roles';
import { DistributedRunRepository } from './distributed-run-repository';
import { InvalidRunRequestError, RunAlreadyRunningError, UnknownRunError } from './run-errors';
import { RunProgressReader } from './run-progress';
import { RUN_JOB_OPTIONS, runJobId, type RunQueueSettings } from './run-queue';
import type { RunJobData, RunKind, RunOptions, RunProgress, StartRunRequest, StartedRun } from './run.types';

export interface RunCoordinatorDependencies {
  /** The host's entities (the same list its workers register). */
  entities: EntityDefinition[];
  control: Pool;
  queue: RunQueueSettings;
  /** Which store is primary now (the flags): a reconcile compares the primary with the secondary. */
  primarySide: () => Promise<'a' | 'b'>;
}

/** reconcile-data's session advisory lock class (tools/src/cli/reconcile-lock.ts): held while an in-process reconcile runs. */
const RECONCILE_DATA_LOCK_CLASS = 7_201_912;

const POSITIVE_OPTIONS = ['segmentRows', 'rowCompareLimit', 'concurrency', 'batchSize', 'rate'] as const;

/** Checks what a run is asked to do; what is wrong is named. */
export function checkRunOptions(options: RunOptions): RunOptions {
  for (const name of POSITIVE_OPTIONS) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new InvalidRunRequestError(`${name} must be a whole number of at least 1, got ${String(value)}`);
  }
  if (options.settleTimeoutMs !== undefined && (!Number.isInteger(options.settleTimeoutMs) || options.settleTimeoutMs < 0)) {
    throw new InvalidRunRequestError(`settleTimeoutMs must be a whole number of at least 0, got ${String(options.settleTimeoutMs)}`);
  }
  return options;
}

/**
 * Starts distributed runs: records the run and takes its entities' locks (refusing, naming the running run, when a
 * run of the same kind holds one), then queues the run's job; the workers plan, run and finalise it (RunWorker).
 * Answers at once with the run id; progress is read from the control database.
 */
export class RunCoordinator {
  private readonly registry: EntityRegistry;
  private readonly runs: DistributedRunRepository;
  private readonly reader: RunProgressReader;
  private readonly queue: Queue<RunJobData>;

  constructor(private readonly deps: RunCoordinatorDependencies) {
    this.registry = new EntityRegistry(deps.entities);
    this.runs = new DistributedRunRepository(deps.control);
    this.reader = new RunProgressReader(deps.control);
    this.queue = new Queue<RunJobData>(deps.queue.queueName, { connection: deps.queue.connection, prefix: deps.queue.prefix });
  }

  /**
   * Throws UnknownEntityError (listing the known ones), InvalidRunRequestError, RunAlreadyRunningError,
   * CopyAlreadyRunningError or CopySourceNotPrimaryError.
   */
  async start(request: StartRunRequest): Promise<StartedRun> {
    const entities = (request.selection === 'all' ? this.registry.all() : request.selection.map((name) => this.registry.get(name))).map((entity) => entity.name);
    if (entities.length === 0) throw new InvalidRunRequestError('no entity to run: name one, or all');
    const options = checkRunOptions(request.options ?? {});
    for (const entity of entities) {
      const holder = await this.runs.holder(request.kind, entity);
      if (holder) throw new RunAlreadyRunningError(request.kind, entity, holder);
    }
    if (request.kind === 'copy') await this.refuseInProcessCopy(entities);
    else await this.refuseInProcessReconcile(entities);
    const primarySide = request.kind === 'copy' ? (request.from ?? 'a') : await this.deps.primarySide();
    if (request.kind === 'copy') await assertSourceIsPrimary(this.deps.control, primarySide);
    const runId = randomUUID();
    await this.runs.create({
      runId,
      kind: request.kind,
      selection: request.selection === 'all' ? ['all'] : [...new Set(entities)],
      entities: [...new Set(entities)],
      primarySide,
      options,
      requestedBy: request.requestedBy,
    });
    try {
      await this.queue.add('run', { step: 'run', runId }, { ...RUN_JOB_OPTIONS, jobId: runJobId(runId) });
    } catch (error) {
      const message = `could not queue the run: ${error instanceof Error ? error.message : String(error)}`;
      await this.runs.finish(runId, { status: 'failed', error: message, reconcileSummary: request.kind === 'reconcile' ? { summary: { entities: [] }, findings: 0 } : undefined });
      throw new Error(message);
    }
    return { runId, kind: request.kind, entities };
  }

  /**
   * Ends a running run as failed ("cancelled by …") and releases its entities at once; its jobs still queued find it
   * ended and do nothing, a segment in flight finishes and is recorded. A cancelled copy's copy run stays unfinished,
   * so the next copy of the entity resumes it. Throws UnknownRunError, or InvalidRunRequestError when it already ended.
   */
  async cancel(runId: string, by: string): Promise<RunProgress> {
    const run = await this.runs.run(runId);
    if (!run) throw new UnknownRunError(runId);
    // The entities finalised before the cancel keep their summaries (their findings are stored and name them).
    const finalised = (await this.runs.entities(runId)).filter((entity) => entity.result !== null).map((entity) => entity.result);
    const reconcileSummary = run.kind === 'reconcile' ? { summary: { entities: finalised, cancelled: true }, findings: await this.runs.findingCount(runId) } : undefined;
    const ended = await this.runs.finish(runId, { status: 'failed', error: `cancelled by ${by}`, reconcileSummary });
    if (!ended) throw new InvalidRunRequestError(`run ${runId} is not running (${run.status}): there is nothing to cancel`);
    return (await this.reader.progress(runId)) as RunProgress;
  }

  progress(runId: string): Promise<RunProgress | null> {
    return this.reader.progress(runId);
  }

  list(kind: RunKind, limit?: number): Promise<RunProgress[]> {
    return this.reader.list(kind, limit);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  /** An in-process reconcile-data holds its entities' locks while it runs: a distributed reconcile of them is refused. */
  private async refuseInProcessReconcile(entities: string[]): Promise<void> {
    const client = await this.deps.control.connect();
    try {
      for (const entity of entities) {
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [RECONCILE_DATA_LOCK_CLASS, `reconcile:${entity}`]);
        if (rows[0]?.locked !== true) throw new RunAlreadyRunningError('reconcile', entity, null, ' (reconcile-data)');
        await client.query('select pg_advisory_unlock($1, hashtext($2))', [RECONCILE_DATA_LOCK_CLASS, `reconcile:${entity}`]);
      }
    } finally {
      client.release();
    }
  }

  /** An in-process copy-data holds its entities' copy locks while it runs: a distributed copy of them is refused. */
  private async refuseInProcessCopy(entities: string[]): Promise<void> {
    const locks = await new CopyRunRepository(this.deps.control).lockEntities(entities);
    await locks.release();
  }
}
