import type { ConnectionOptions, JobsOptions } from 'bullmq';

/** Where a run's jobs go: the BullMQ queue (DW_RUNS_QUEUE) under its key prefix (DW_RUNS_PREFIX). */
export interface RunQueueSettings {
  connection: ConnectionOptions;
  queueName: string;
  /** BullMQ key prefix; default `bull` (as the platform's other queues). */
  prefix?: string;
}

export const DEFAULT_RUNS_QUEUE = 'dw-runs';

/** Job ids are the run, entity and segment, so a job added twice (a run job delivered again) is one job. */
export const runJobId = (runId: string) => `run-${runId}`;
export const entityJobId = (runId: string, entity: string) => `entity-${runId}-${entity}`;
export const segmentJobId = (runId: string, entity: string, segmentNo: number) => `segment-${runId}-${entity}-${segmentNo}`;

/**
 * Every job of a run: retried with back-off after an error; a job whose worker died is handed out again by BullMQ's
 * stalled-job check (the worker's lockDuration / stalledInterval). A failed child does not block its parent: the parent
 * finalises and reads what failed from the database. Finished jobs are kept a day (their ids guard against re-adding).
 */
export const RUN_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  ignoreDependencyOnFailure: true,
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
