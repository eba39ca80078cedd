import { hostname } from 'node:os';
import type { Pool } from 'pg';
import { FlowProducer, WaitingChildrenError, Worker, type Job } from 'bullmq';
import type { DiffSeverityRules, KeySync } from '@dualwrite/dual-write';
import { EntityRegistry, type EntityDefinition } from '@dualwrite/stores';
import type { CopySide } from '../copy/copy.types';
import type { SqlSide } from '../copy/copy-stream';
import { parentsFirst } from '../copy/table-order';
import type { LedgerActivity } from '../ledger-activity';
import type { EntityReconcileResult, SeveritySummary } from '../reconcile.types';
import { finaliseCopyEntity, planCopySegments, recordChunk, streamChunk, withSharedCopyLock, DEFAULT_CHUNK_ROWS, DEFAULT_STREAM_CHUNK_ROWS, type CopyChunkResult, type CopySteps } from './copy-steps';
import { DistributedRunRepository } from './distributed-run-repository';
import { finaliseReconcileEntity, planReconcileSegments, reconcileSegment, type RunSide } from './reconcile-steps';
import { UnknownRunError } from './run-errors';
import { RunPace, type RunPaceSettings } from './run-pace';
import { RUN_JOB_OPTIONS, entityJobId, segmentJobId, type RunQueueSettings } from './run-queue';
import type { RunEntityRecord, RunJobData, RunRecord } from './run.types';

export interface RunWorkerSettings {
  /** Jobs this process runs at once (default 2). */
  concurrency?: number;
  /** A job whose worker stops renewing its lock this long is stalled and handed to another worker (default 30 s). */
  lockDuration?: number;
  /** How often stalled jobs are looked for (default 15 s). */
  stalledInterval?: number;
  /** Times a job may stall (its worker killed) before it fails (default 5). */
  maxStalledCount?: number;
}

export interface RunWorkerDependencies {
  entities: EntityDefinition[];
  control: Pool;
  queue: RunQueueSettings;
  /** Store A and store B as a reconcile reads them; null when store B is not configured. */
  reconcileSides: { a: RunSide; b: RunSide } | null;
  /**
   * Store A and store B as a copy reads and writes them, and the protocol's KeySync; null without store B. With
   * `stream` (both stores' PostgreSQL) chunks stream as COPY between them, as copy-data does with SUPABASE_DB_URL.
   */
  copy: { a: CopySide; b: CopySide; keySync: KeySync; stream?: { a: SqlSide; b: SqlSide } } | null;
  ledger?: LedgerActivity;
  severityRules?: DiffSeverityRules;
  settings?: RunWorkerSettings;
  /** A copy's back-off on the primary's write p95 (copy-data's rules by default). */
  pace?: RunPaceSettings;
  /** Called with one line per notable event (a job failed, a run ended). */
  log?: (message: string) => void;
}

/**
 * Executes distributed runs from the run queue, in any number of processes: the run job plans each entity's segments
 * (stored once) and adds the entity's flow (entity job ← segment jobs) as its child, all entities at once for a
 * reconcile, one after another parents first for a copy; segment jobs do the work and record it keyed by segment;
 * an entity job finalises its entity when its segments are done; the run job ends the run when its entities are.
 */
export class RunWorker {
  readonly name = `${hostname()}:${process.pid}`;
  private readonly registry: EntityRegistry;
  private readonly runs: DistributedRunRepository;
  private readonly flows: FlowProducer;
  private readonly pace: RunPace;
  private worker?: Worker<RunJobData>;

  constructor(private readonly deps: RunWorkerDependencies) {
    this.registry = new EntityRegistry(deps.entities);
    this.runs = new DistributedRunRepository(deps.control);
    this.flows = new FlowProducer({ connection: deps.queue.connection, prefix: deps.queue.prefix });
    this.pace = new RunPace(deps.control, deps.pace, undefined, (runId, change) =>
      this.log(`copy run ${runId}: speed ×${change.factor} (primary write p95 ${change.recentP95Ms ?? '-'} ms, baseline ${change.baselineP95Ms ?? '-'} ms)`),
    );
  }

  async start(): Promise<void> {
    const settings = this.deps.settings ?? {};
    this.worker = new Worker<RunJobData>(this.deps.queue.queueName, (job, token) => this.process(job, token), {
      connection: this.deps.queue.connection,
      prefix: this.deps.queue.prefix,
      concurrency: settings.concurrency ?? 2,
      lockDuration: settings.lockDuration ?? 30_000,
      stalledInterval: settings.stalledInterval ?? 15_000,
      maxStalledCount: settings.maxStalledCount ?? 5,
      name: this.name,
    });
    this.worker.on('error', (error) => this.log(`run queue: ${error.message}`));
    this.worker.on('failed', (job, error) => this.log(`run queue: ${job?.data.step ?? 'a'} job ${job?.id ?? ''} failed: ${error.message}`));
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.flows.close();
  }

  private log(message: string): void {
    this.deps.log?.(message);
  }

  private async process(job: Job<RunJobData>, token: string | undefined): Promise<string> {
    const run = await this.runs.run(job.data.runId);
    // Not in this worker's control database: a queue shared by two deployments; retried, so the right worker may take it.
    if (!run) throw new UnknownRunError(job.data.runId);
    if (run.status !== 'running') return `run ${job.data.runId} is not running`;
    switch (job.data.step) {
      case 'run':
        try {
          return await this.runStep(job, run, token);
        } catch (error) {
          // A run job failing for good (planning kept failing) ends its run, so its locks do not outlive it.
          if (!(error instanceof WaitingChildrenError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
            await this.endRun(run, `the run job failed: ${error instanceof Error ? error.message : String(error)}`);
          }
          throw error;
        }
      case 'entity':
        return this.entityStep(run, job.data.entity);
      case 'segment':
        return this.segmentStep(job, run, job.data.entity, job.data.segmentNo);
    }
  }

  // ---- run job ----

  private async runStep(job: Job<RunJobData>, run: RunRecord, token: string | undefined): Promise<string> {
    if (!this.sidesFor(run)) return this.endRun(run, 'store B is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is nothing to run against');
    if (run.kind === 'reconcile') {
      for (const entity of await this.runs.entities(run.runId)) {
        if (entity.status === 'pending') await this.planEntity(run, entity);
        if (entity.status !== 'completed' && entity.status !== 'failed') await this.addEntityFlow(job, run, entity.entity);
      }
      if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
      await this.failUnfinished(run);
      return this.endRun(run);
    }
    for (const name of await this.copyOrder(run)) {
      const entity = (await this.runs.entities(run.runId)).find((candidate) => candidate.entity === name) as RunEntityRecord;
      if (entity.status === 'failed') return this.endRun(run);
      if (entity.status === 'completed') continue;
      if (entity.status === 'pending') await this.planEntity(run, entity);
      await this.addEntityFlow(job, run, name);
      if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
      if (await this.failUnfinished(run)) return this.endRun(run);
    }
    return this.endRun(run);
  }

  /** Parents before children (the source's foreign keys), so a child row never arrives before its parent. */
  private async copyOrder(run: RunRecord): Promise<string[]> {
    const entities = (await this.runs.entities(run.runId)).map((entity) => this.registry.get(entity.entity));
    const source = this.copySteps(run).source;
    return parentsFirst(entities, source.foreignKeys ? await source.foreignKeys() : []).map((entity) => entity.name);
  }

  private async planEntity(run: RunRecord, record: RunEntityRecord): Promise<void> {
    const entity = this.registry.get(record.entity);
    if (run.kind === 'reconcile') {
      const { primary, secondary } = this.reconcileSides(run);
      await this.runs.plan(run.runId, entity.name, await planReconcileSegments(entity, primary, secondary, run.options));
    } else {
      const steps = this.copySteps(run);
      const planned = await planCopySegments(steps, entity, run.options.segmentRows ?? (steps.stream ? DEFAULT_STREAM_CHUNK_ROWS : DEFAULT_CHUNK_ROWS));
      await this.runs.plan(run.runId, entity.name, planned.segments, planned.copyRunId);
    }
  }

  /** The entity job with a child per unfinished segment; job ids are the run, entity and segment, so adding it again adds nothing. */
  private async addEntityFlow(job: Job<RunJobData>, run: RunRecord, entity: string): Promise<void> {
    const { queueName } = this.deps.queue;
    const pending = (await this.runs.segments(run.runId, entity)).filter((segment) => segment.status === 'pending');
    await this.flows.add({
      name: 'entity',
      queueName,
      data: { step: 'entity', runId: run.runId, entity },
      opts: { ...RUN_JOB_OPTIONS, jobId: entityJobId(run.runId, entity), parent: { id: job.id as string, queue: job.queueQualifiedName } },
      children: pending.map((segment) => ({
        name: 'segment',
        queueName,
        data: { step: 'segment', runId: run.runId, entity, segmentNo: segment.segmentNo },
        opts: { ...RUN_JOB_OPTIONS, jobId: segmentJobId(run.runId, entity, segment.segmentNo) },
      })),
    });
  }

  /**
   * Called once the run job's children are done: an entity still queued is one whose entity job failed for good (a
   * finalised entity is recorded before its job completes), so it is recorded failed. True if any entity failed.
   */
  private async failUnfinished(run: RunRecord): Promise<boolean> {
    for (const entity of await this.runs.entities(run.runId)) {
      if (entity.status === 'queued') await this.runs.entityDone(run.runId, entity.entity, { result: null, error: `the ${entity.entity} entity job failed; see the worker's log` });
    }
    return (await this.runs.entities(run.runId)).some((entity) => entity.status === 'failed');
  }

  /** Ends the run (once): failed when an entity failed or `error` is given; a reconcile's reconcile_runs row completed. */
  private async endRun(run: RunRecord, error?: string): Promise<string> {
    const entities = await this.runs.entities(run.runId);
    const failedEntities = entities.filter((entity) => entity.status === 'failed').map((entity) => entity.entity);
    const status = error !== undefined || failedEntities.length > 0 ? 'failed' : 'completed';
    const message = error ?? (failedEntities.length > 0 ? `failed: ${failedEntities.join(', ')}` : undefined);
    let reconcileSummary: { summary: unknown; findings: number } | undefined;
    if (run.kind === 'reconcile') {
      const summaries = entities.filter((entity) => entity.result !== null).map((entity) => entity.result as Omit<EntityReconcileResult, 'findings' | 'differingFields'>);
      const severity: SeveritySummary = { info: 0, warning: 0, error: 0 };
      for (const summary of summaries) for (const level of ['info', 'warning', 'error'] as const) severity[level] += summary.severity[level];
      const findings = await this.runs.findingCount(run.runId);
      reconcileSummary = { summary: { entities: summaries, totals: { findings, severity }, distributed: true }, findings };
    }
    if (await this.runs.finish(run.runId, { status, error: message, reconcileSummary })) this.log(`${run.kind} run ${run.runId} ${status}${message ? `: ${message}` : ''}`);
    return `run ${run.runId} ${status}`;
  }

  // ---- entity job ----

  private async entityStep(run: RunRecord, name: string): Promise<string> {
    const record = (await this.runs.entities(run.runId)).find((entity) => entity.entity === name);
    if (record?.status !== 'queued') return `${name} already finalised`;
    const entity = this.registry.get(name);
    const segments = await this.runs.segments(run.runId, name);
    if (run.kind === 'reconcile') {
      const { primary, secondary } = this.reconcileSides(run);
      const result = await finaliseReconcileEntity({
        entity,
        primary,
        secondary,
        ledger: this.deps.ledger,
        severityRules: this.deps.severityRules,
        segments,
        ledgerStartedAt: run.ledgerStartedAt,
        startedAt: run.startedAt,
        options: run.options,
      });
      const { findings, differingFields: _fields, ...summary } = result;
      await this.runs.entityDone(run.runId, name, { result: summary, error: result.error, findings });
      return `${name}: ${findings.length} findings`;
    }
    const unfinished = segments.filter((segment) => segment.status !== 'done');
    if (unfinished.length > 0) {
      const first = unfinished[0];
      await this.runs.entityDone(run.runId, name, { result: null, error: `${unfinished.length} chunks not copied; chunk ${first?.segmentNo}: ${first?.error ?? first?.status}` });
      return `${name}: failed`;
    }
    const chunks = segments.map((segment) => (segment.result ?? { rowsCopied: 0, rowsDeleted: 0, left: [] }) as CopyChunkResult);
    const result = await finaliseCopyEntity(this.copySteps(run), entity, record.copyRunId as string, chunks);
    await this.runs.entityDone(run.runId, name, { result });
    return `${name}: ${result.rowsCopied} rows copied`;
  }

  // ---- segment job ----

  private async segmentStep(job: Job<RunJobData>, run: RunRecord, name: string, segmentNo: number): Promise<string> {
    const segment = await this.runs.segment(run.runId, name, segmentNo);
    if (!segment) throw new Error(`run ${run.runId} has no segment ${segmentNo} of ${name}`);
    if (segment.status !== 'pending') return `segment ${segmentNo} of ${name} already ${segment.status}`;
    const entity = this.registry.get(name);
    try {
      if (run.kind === 'reconcile') {
        const { primary, secondary } = this.reconcileSides(run);
        const range = { ...(segment.range.from !== undefined ? { from: segment.range.from } : {}), ...(segment.range.to !== undefined ? { to: segment.range.to } : {}) };
        const result = await reconcileSegment(entity, primary, secondary, range, run.options);
        await this.runs.segmentDone(run.runId, name, segmentNo, Math.max(result.counts.primary, result.counts.secondary), result, this.name);
      } else {
        const record = (await this.runs.entities(run.runId)).find((candidate) => candidate.entity === name);
        const steps = this.copySteps(run);
        const paced = { runId: run.runId, startedAt: run.startedAt, rate: run.options.rate };
        await this.pace.beforeChunk(paced, steps.source.store.name, segment.rowsPlanned);
        // Cancelled while the chunk waited for its slot: nothing copied, nothing recorded.
        if ((await this.runs.run(run.runId))?.status !== 'running') return `run ${run.runId} is not running`;
        const began = Date.now();
        const result = await withSharedCopyLock(this.deps.control, name, async () => {
          const copied = await streamChunk(steps, entity, segment.range);
          await recordChunk(steps, record?.copyRunId as string, segmentNo, copied);
          return copied;
        });
        // A streamed chunk redone after a kill finds its rows there already (copies none): it still covered them.
        await this.runs.segmentDone(run.runId, name, segmentNo, Math.max(result.rowsCopied, segment.rowsPlanned), result, this.name);
        await this.pace.afterChunk(paced, Date.now() - began);
      }
    } catch (error) {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await this.runs.segmentFailed(run.runId, name, segmentNo, error instanceof Error ? error.message : String(error), this.name);
      }
      throw error;
    }
    return `segment ${segmentNo} of ${name} done`;
  }

  // ---- sides ----

  private sidesFor(run: RunRecord): boolean {
    return run.kind === 'reconcile' ? this.deps.reconcileSides !== null : this.deps.copy !== null;
  }

  private reconcileSides(run: RunRecord): { primary: RunSide; secondary: RunSide } {
    const sides = this.deps.reconcileSides;
    if (!sides) throw new Error('store B is not configured: there is nothing to reconcile with');
    return run.primarySide === 'a' ? { primary: sides.a, secondary: sides.b } : { primary: sides.b, secondary: sides.a };
  }

  private copySteps(run: RunRecord): CopySteps {
    const copy = this.deps.copy;
    if (!copy) throw new Error('store B is not configured: there is nothing to copy to or from');
    const [source, target] = run.primarySide === 'a' ? [copy.a, copy.b] : [copy.b, copy.a];
    const stream = copy.stream && (run.primarySide === 'a' ? { source: copy.stream.a, target: copy.stream.b } : { source: copy.stream.b, target: copy.stream.a });
    return { source, target, sourceSide: run.primarySide, keySync: copy.keySync, control: this.deps.control, ...(stream ? { stream } : {}) };
  }
}
