import type { Pool } from 'pg';
import type { PlatformConfig } from '@dualwrite/config';
import { FlagRepository, bullConnection } from '@dualwrite/dual-write';
import type { EntityDefinition } from '@dualwrite/stores';
import { RunCoordinator, parseRunSettings, type RunKind, type RunOptions, type RunProgress } from '@dualwrite/reconcile';
import { openProgress, type ProgressTask } from './progress-output';

export interface DistributedRunRequest {
  kind: RunKind;
  selection: 'all' | string[];
  from?: 'a' | 'b';
  options: RunOptions;
}

const POLL_MS = 500;
/** After this long with no segment done, say once that a worker must be running. */
const NO_WORKER_HINT_MS = 30_000;

function etaText(progress: RunProgress): string {
  if (progress.etaSeconds === null) return '';
  const minutes = Math.floor(progress.etaSeconds / 60);
  return `, ETA ${minutes > 0 ? `${minutes} min ` : ''}${progress.etaSeconds % 60} s`;
}

function detailOf(progress: RunProgress): string {
  const found = progress.kind === 'reconcile' ? `${progress.findings} findings stored, ${progress.differingKeys} keys differing so far` : `${progress.keysLeft} keys left`;
  return `${progress.rows.covered}/${progress.rows.planned} rows, ${found}${etaText(progress)}`;
}

/**
 * `--distributed` for reconcile-data and copy-data: the run is started through the RunCoordinator (refused, naming
 * the running run, like REST) and queued on DW_RUNS_QUEUE for the worker processes; this process only follows its
 * progress in the control database: a cli-progress bar on a terminal, plain lines otherwise. Ctrl-C stops following,
 * not the run. Resolves with the run's last progress (null when following was stopped).
 */
export async function startAndFollow(config: PlatformConfig, control: Pool, entities: EntityDefinition[], request: DistributedRunRequest, err: (text: string) => void): Promise<RunProgress | null> {
  const settings = parseRunSettings(process.env);
  const flags = new FlagRepository(control);
  const coordinator = new RunCoordinator({
    entities,
    control,
    queue: { connection: bullConnection(config.redisUrl), queueName: settings.queueName, prefix: settings.prefix },
    primarySide: async () => ((await flags.read()).enableSupabasePrimary ? 'b' : 'a'),
  });
  let stopped = false;
  const stop = () => {
    stopped = true;
    err('stopped following; the run goes on in the workers');
  };
  process.once('SIGINT', stop);
  const output = openProgress();
  try {
    const run = await coordinator.start({ ...request, requestedBy: `${request.kind}-data --distributed` });
    output.line(`run ${run.runId} queued on ${settings.queueName} for the workers (${run.entities.join(', ')}); GET /admin/${request.kind}/runs/${run.runId} shows it too`);
    const began = Date.now();
    let task: ProgressTask | undefined;
    let hinted = false;
    for (;;) {
      const progress = await coordinator.progress(run.runId);
      if (!progress) throw new Error(`run ${run.runId} vanished from the control database`);
      const planned = progress.entities.every((entity) => entity.segmentsTotal !== null) && progress.segments.total > 0;
      if (!task && planned) task = output.task(`${request.kind} ${run.runId.slice(0, 8)}`, progress.segments.total, 'segments');
      task?.advance(progress.segments.done, detailOf(progress));
      if (progress.status !== 'running') return progress;
      if (!hinted && progress.segments.done === 0 && Date.now() - began > NO_WORKER_HINT_MS) {
        hinted = true;
        output.line(`no segment done after ${NO_WORKER_HINT_MS / 1000} s: is a worker running (npm start, or the worker app) on DW_RUNS_QUEUE=${settings.queueName}?`);
      }
      if (stopped) return null;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    output.stop();
    process.off('SIGINT', stop);
    await coordinator.close();
  }
}

/** One line per entity of a finished run. */
export function entityLines(progress: RunProgress): string[] {
  return progress.entities.map(
    (entity) =>
      `${entity.entity}: ${entity.status}${entity.error ? ` (${entity.error})` : ''}; ${entity.segmentsDone}/${entity.segmentsTotal ?? '?'} segments, ` +
      `${entity.rowsCovered} rows${progress.kind === 'reconcile' ? `, ${entity.findings} findings` : ''}`,
  );
}
