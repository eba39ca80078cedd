import type { Pool } from 'pg';
import { DEFAULT_BACKOFF_RULES, PrimaryLatency, nextSpeedFactor, realSleep, type BackoffRules, type LatencySample, type Sleep } from '../copy/throttle';

export interface RunPaceSettings {
  rules?: Partial<BackoffRules>;
  /** How often (at most, across the run's jobs) the primary's latency is looked at (default 5 s). */
  checkEveryMs?: number;
  /** The recent window compared with the baseline (default 30 s). */
  recentMs?: number;
  /** The window before the run began that gives the baseline (default 5 min). */
  baselineMs?: number;
}

export interface RunSpeedChange {
  factor: number;
  recentP95Ms: number | null;
  baselineP95Ms: number | null;
}

/**
 * A distributed copy's pace, shared by all its chunk jobs through the run's row in distributed_runs (so it holds
 * whatever the number of workers): with a `rate`, a chunk reserves the next rows / (rate × factor) seconds of the
 * run's budget (after `paced_until`, or now when the budget is idle) and starts only when its slot ends, so the rows
 * started by any moment are at most rate × the time since the first reservation. The factor is copy-data's back-off
 * (nextSpeedFactor on the primary's write p95 from the ledger, as InitialCopy reads it); without a rate a chunk
 * pauses after its work for work × (1/factor − 1), as copy-data does.
 */
export class RunPace {
  private readonly rules: BackoffRules;

  constructor(
    private readonly control: Pool,
    private readonly settings: RunPaceSettings = {},
    private readonly sleep: Sleep = realSleep,
    private readonly onChange: (runId: string, change: RunSpeedChange) => void = () => undefined,
  ) {
    this.rules = { ...DEFAULT_BACKOFF_RULES, ...settings.rules };
  }

  /** Waits for the chunk's slot in the run's budget (no wait without a rate). */
  async beforeChunk(run: { runId: string; startedAt: Date; rate?: number }, primaryStore: string, rows: number): Promise<void> {
    await this.check(run, primaryStore);
    if (run.rate === undefined || rows <= 0) return;
    const { rows: reserved } = await this.control.query<{ wait_ms: number }>(
      `update distributed_runs
          set paced_until = greatest(coalesce(paced_until, clock_timestamp()), clock_timestamp()) + $2::float8 / ($3::float8 * speed_factor) * interval '1 second'
        where run_id = $1
       returning greatest(0, extract(epoch from paced_until - clock_timestamp()) * 1000)::float8 as wait_ms`,
      [run.runId, rows, run.rate],
    );
    const waitMs = Math.ceil(reserved[0]?.wait_ms ?? 0);
    if (waitMs > 0) await this.sleep(waitMs);
  }

  /** Without a rate, the back-off as a pause after the chunk's work. */
  async afterChunk(run: { runId: string; rate?: number }, workMs: number): Promise<void> {
    if (run.rate !== undefined) return;
    const { rows } = await this.control.query<{ speed_factor: number }>('select speed_factor from distributed_runs where run_id = $1', [run.runId]);
    const factor = rows[0]?.speed_factor ?? 1;
    if (factor < 1) await this.sleep(workMs * (1 / factor - 1));
  }

  /** One job at a time (the first whose claim on speed_checked_at succeeds) moves the run's factor. */
  private async check(run: { runId: string; startedAt: Date }, primaryStore: string): Promise<void> {
    const { rows } = await this.control.query<{ speed_factor: number; speed_baseline: LatencySample | null }>(
      `update distributed_runs set speed_checked_at = clock_timestamp()
        where run_id = $1 and (speed_checked_at is null or speed_checked_at <= clock_timestamp() - $2::float8 * interval '1 millisecond')
       returning speed_factor, speed_baseline`,
      [run.runId, this.settings.checkEveryMs ?? 5_000],
    );
    const claimed = rows[0];
    if (!claimed) return;
    const latency = new PrimaryLatency(this.control, primaryStore);
    let baseline = claimed.speed_baseline;
    if (!baseline) {
      const before = await latency.window(run.startedAt, this.settings.baselineMs ?? 300_000);
      baseline = before.writes >= this.rules.minWrites ? before : null;
    }
    const recent = await latency.window(null, this.settings.recentMs ?? 30_000);
    // Too few writes before the run: the first busy window seen during it stands in as the baseline (as copy-data).
    if (!baseline && recent.writes >= this.rules.minWrites) baseline = recent;
    const next = nextSpeedFactor(claimed.speed_factor, baseline, recent, this.rules);
    await this.control.query('update distributed_runs set speed_factor = $2, speed_baseline = $3 where run_id = $1', [run.runId, next, baseline && JSON.stringify(baseline)]);
    if (next !== claimed.speed_factor) this.onChange(run.runId, { factor: next, recentP95Ms: recent.p95Ms, baselineP95Ms: baseline?.p95Ms ?? null });
  }
}
