import { DEFAULT_RUNS_QUEUE } from './run-queue';

/**
 * Settings of distributed runs, read by the entry points (worker, api, CLIs) from their environment:
 * - DW_RUNS_QUEUE (default dw-runs) and DW_RUNS_PREFIX (default bull): the BullMQ queue of run, entity and segment jobs;
 * - DW_RUNS_CONCURRENCY (default 2): jobs of that queue one worker process runs at once;
 * - RECONCILE_CRON (default `0 3 * * *`, nightly at 03:00; `off` disables it): when the worker starts a reconcile run;
 * - RECONCILE_CRON_ENTITIES (default all): what the nightly run reconciles, `all` or names separated by commas;
 * - RECONCILE_SEGMENT_ROWS (default 50000): rows per segment job of a reconcile run.
 */
export interface RunSettings {
  queueName: string;
  prefix: string;
  concurrency: number;
  reconcileCron: string | null;
  reconcileCronEntities: 'all' | string[];
  reconcileSegmentRows: number;
}

export class RunSettingsError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'RunSettingsError';
  }
}

const CRON = /^[0-9*/,?LW#A-Za-z-]+( +[0-9*/,?LW#A-Za-z-]+){4,5}$/;
const NAME = /^[A-Za-z0-9._-]+$/;

function value(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? fallback : raw;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = value(env, name, String(fallback));
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new RunSettingsError(name, `must be a whole number of at least 1, got "${raw}"`);
  return Number(raw);
}

export function parseRunSettings(env: NodeJS.ProcessEnv): RunSettings {
  const queueName = value(env, 'DW_RUNS_QUEUE', DEFAULT_RUNS_QUEUE);
  const prefix = value(env, 'DW_RUNS_PREFIX', 'bull');
  for (const [name, text] of [['DW_RUNS_QUEUE', queueName], ['DW_RUNS_PREFIX', prefix]] as const) {
    if (!NAME.test(text)) throw new RunSettingsError(name, `must be letters, digits, ".", "_" or "-", got "${text}"`);
  }
  const cron = value(env, 'RECONCILE_CRON', '0 3 * * *');
  if (cron !== 'off' && !CRON.test(cron)) throw new RunSettingsError('RECONCILE_CRON', `must be a cron expression of 5 or 6 fields, or off, got "${cron}"`);
  const entities = value(env, 'RECONCILE_CRON_ENTITIES', 'all');
  const names = entities.split(',').map((name) => name.trim()).filter(Boolean);
  if (entities !== 'all' && names.length === 0) throw new RunSettingsError('RECONCILE_CRON_ENTITIES', 'must be all or entity names separated by commas');
  return {
    queueName,
    prefix,
    concurrency: wholeNumber(env, 'DW_RUNS_CONCURRENCY', 2),
    reconcileCron: cron === 'off' ? null : cron,
    reconcileCronEntities: entities === 'all' ? 'all' : names,
    reconcileSegmentRows: wholeNumber(env, 'RECONCILE_SEGMENT_ROWS', 50_000),
  };
}
