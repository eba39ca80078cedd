import { DEFAULT_BACKOFF_RULES, TokenBucket, nextSpeedFactor, type BackoffRules, type LatencySample, type PrimaryLatency, type Sleep } from './throttle';

export interface SpeedSettings {
  /** Rows per second at full speed; undefined = as fast as the stores go. */
  rate?: number;
  rules?: Partial<BackoffRules>;
  /** How often the primary's latency is looked at (default 5 s). */
  checkEveryMs?: number;
  /** The recent window compared with the baseline (default 30 s). */
  recentMs?: number;
  /** The window before the copy began that gives the baseline (default 5 min). */
  baselineMs?: number;
}

export interface SpeedChange {
  factor: number;
  recentP95Ms: number | null;
  baselineP95Ms: number | null;
}

/**
 * The copy's pace: the --rate token bucket, slowed by the back-off rule (nextSpeedFactor) while the primary's write
 * p95 is up. With a rate the bucket's rate is scaled; without one the copy pauses after each batch for as long as
 * its work took × (1/factor − 1), which scales its throughput by the same factor.
 */
export class CopySpeed {
  private factor = 1;
  private baseline: LatencySample | null = null;
  private lastCheck = 0;
  private readonly bucket: TokenBucket | null;
  private readonly rules: BackoffRules;

  constructor(
    private readonly latency: PrimaryLatency,
    private readonly settings: SpeedSettings,
    private readonly now: () => number,
    private readonly sleep: Sleep,
    private readonly onChange: (change: SpeedChange) => void,
  ) {
    this.bucket = settings.rate === undefined ? null : new TokenBucket(settings.rate, now, sleep);
    this.rules = { ...DEFAULT_BACKOFF_RULES, ...settings.rules };
  }

  /** The baseline: the primary's p95 in the window before the copy's run began (kept across resumes). */
  async start(runStartedAt: Date): Promise<void> {
    const sample = await this.latency.window(runStartedAt, this.settings.baselineMs ?? 300_000);
    this.baseline = sample.writes >= this.rules.minWrites ? sample : null;
    this.lastCheck = this.now();
  }

  async beforeBatch(rows: number): Promise<void> {
    await this.bucket?.take(rows);
  }

  async afterBatch(workMs: number): Promise<void> {
    if (this.now() - this.lastCheck >= (this.settings.checkEveryMs ?? 5_000)) await this.check();
    if (!this.bucket && this.factor < 1) await this.sleep(workMs * (1 / this.factor - 1));
  }

  private async check(): Promise<void> {
    this.lastCheck = this.now();
    const recent = await this.latency.window(null, this.settings.recentMs ?? 30_000);
    // Too few writes before the copy: the first busy window seen during it stands in as the baseline.
    if (!this.baseline && recent.writes >= this.rules.minWrites) this.baseline = recent;
    const next = nextSpeedFactor(this.factor, this.baseline, recent, this.rules);
    if (next === this.factor) return;
    this.factor = next;
    if (this.bucket && this.settings.rate !== undefined) this.bucket.setRate(this.settings.rate * next);
    this.onChange({ factor: next, recentP95Ms: recent.p95Ms, baselineP95Ms: this.baseline?.p95Ms ?? null });
  }
}
