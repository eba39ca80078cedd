import { ConfigError, parsedOrExit } from '@dualwrite/config';
import { DIFFS_QUEUE, REPLAY_QUEUE } from '@dualwrite/dual-write';

/** The worker's own settings, on top of the platform configuration (see apps/worker/README.md). */
export interface WorkerSettings {
  /** DW_REPLAY_QUEUE: the queue of operations the secondary owes. */
  replayQueue: string;
  /** DW_DIFFS_QUEUE: the queue of differences to store. */
  diffsQueue: string;
  /** DW_REPLAY_CONCURRENCY: replays running at once. */
  replayConcurrency: number;
  /** DW_REPLAY_ATTEMPTS: failed replays before an operation is dead; match the producers' replayAttempts. */
  replayAttempts: number;
  /** DW_DIFF_BATCH_SIZE: most diffs stored in one insert statement. */
  diffBatchSize: number;
  /** DW_DIFF_BATCH_WAIT_MS: longest a diff waits for its batch to fill. */
  diffBatchWaitMs: number;
  /** DIFF_RETENTION_DAYS: info diffs older than this are removed daily (warning and error kept). */
  diffRetentionDays: number;
  /** DW_QUEUE_LOCK_MS: a job whose worker stops renewing its lock this long is stalled. */
  queueLockMs: number;
  /** DW_QUEUE_STALLED_INTERVAL_MS: how often stalled jobs are looked for and handed out again. */
  queueStalledIntervalMs: number;
}

const QUEUE_NAME = /^[A-Za-z0-9._-]+$/;

function queueName(env: NodeJS.ProcessEnv, variable: string, fallback: string): string {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  if (!QUEUE_NAME.test(value)) throw new ConfigError(variable, 'must be a queue name of letters, digits, ".", "_" or "-"');
  return value;
}

function positiveInteger(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(variable, 'must be a whole number of at least 1');
  return Number(value);
}

/** Reads the worker's settings; throws a ConfigError naming the first malformed variable. */
export function parseWorkerSettings(env: NodeJS.ProcessEnv): WorkerSettings {
  return {
    replayQueue: queueName(env, 'DW_REPLAY_QUEUE', REPLAY_QUEUE),
    diffsQueue: queueName(env, 'DW_DIFFS_QUEUE', DIFFS_QUEUE),
    replayConcurrency: positiveInteger(env, 'DW_REPLAY_CONCURRENCY', 4),
    replayAttempts: positiveInteger(env, 'DW_REPLAY_ATTEMPTS', 8),
    diffBatchSize: positiveInteger(env, 'DW_DIFF_BATCH_SIZE', 100),
    diffBatchWaitMs: positiveInteger(env, 'DW_DIFF_BATCH_WAIT_MS', 200),
    diffRetentionDays: positiveInteger(env, 'DIFF_RETENTION_DAYS', 30),
    queueLockMs: positiveInteger(env, 'DW_QUEUE_LOCK_MS', 30_000),
    queueStalledIntervalMs: positiveInteger(env, 'DW_QUEUE_STALLED_INTERVAL_MS', 30_000),
  };
}

/** For the entry point: on a malformed value prints one line naming it and exits 78, like the platform config. */
export function loadWorkerSettingsOrExit(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  return parsedOrExit(() => parseWorkerSettings(env));
}
