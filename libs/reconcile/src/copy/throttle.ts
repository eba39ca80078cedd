import type { Pool } from 'pg';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket of `rate` rows per second holding at most one second of rows. `take(n)` waits until n rows are
 * allowed; a take larger than the bucket (a chunk bigger than a second of rows) runs the bucket into debt that
 * the next takes wait off, so over time no more than `rate` rows per second pass whatever the chunk size.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`rate must be a positive number of rows per second, got ${rate}`);
    this.tokens = rate;
    this.last = now();
  }

  /** Changes the rate from now on (the back-off); what is in the bucket stays, capped at the new size. */
  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
    this.tokens = Math.min(this.tokens, rate);
  }

  async take(rows: number): Promise<void> {
    this.refill();
    // Wait for the rows, or for a full bucket when they are more than it holds (the rest is debt).
    const need = Math.min(rows, this.rate);
    if (this.tokens < need) {
      await this.sleep(Math.ceil(((need - this.tokens) / this.rate) * 1000));
      this.refill();
    }
    this.tokens -= rows;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}

/** The primary's write latency over a window: p95 of the ledger's path_latency_ms and how many writes it is over. */
export interface LatencySample {
  p95Ms: number | null;
  writes: number;
}

export interface BackoffRules {
  /** Fewer writes than this in a window say nothing about the primary's latency. */
  minWrites: number;
  /** Back off when the recent p95 is above baseline × riseRatio and at least riseMs above it. */
  riseRatio: number;
  riseMs: number;
  /** Speed up again when the recent p95 is at most baseline × recoverRatio (or within riseMs of it). */
  recoverRatio: number;
  /** The slowest the copy goes: this share of its rate. */
  minFactor: number;
}

export const DEFAULT_BACKOFF_RULES: BackoffRules = { minWrites: 20, riseRatio: 1.5, riseMs: 5, recoverRatio: 1.2, minFactor: 1 / 16 };

/**
 * The copy's speed as a share of its rate (1 = full), from the primary's write p95 over the last 30 s (`recent`)
 * against the p95 before the copy began (`baseline`): risen by half and by 5 ms or more → half the speed (down to
 * 1/16); back within 20 % (or 5 ms) of the baseline, or too few writes to tell → double it (up to full); between
 * the two → unchanged. No baseline (too few writes before the copy) → unchanged.
 */
export function nextSpeedFactor(current: number, baseline: LatencySample | null, recent: LatencySample, rules: BackoffRules = DEFAULT_BACKOFF_RULES): number {
  const recover = Math.min(1, current * 2);
  if (recent.writes < rules.minWrites || recent.p95Ms === null) return recover;
  if (!baseline || baseline.writes < rules.minWrites || baseline.p95Ms === null) return current;
  const rise = recent.p95Ms - baseline.p95Ms;
  if (recent.p95Ms > baseline.p95Ms * rules.riseRatio && rise >= rules.riseMs) return Math.max(rules.minFactor, current / 2);
  if (recent.p95Ms <= baseline.p95Ms * rules.recoverRatio || rise < rules.riseMs) return recover;
  return current;
}

const MODES = ['primary-only', 'dual-primary-a', 'dual-primary-b', 'secondary-only'];

/** Reads the primary's write p95 from the operation ledger (writes whose primary is `primaryStore`). */
export class PrimaryLatency {
  constructor(
    private readonly control: Pool,
    private readonly primaryStore: string,
  ) {}

  /** Writes claimed in the `spanMs` before `end` (the control database's now() when null). */
  async window(end: Date | null, spanMs: number): Promise<LatencySample> {
    const { rows } = await this.control.query<{ writes: number; p95: number | null }>(
      `with bounds as (select coalesce($2::timestamptz, now()) as upper)
       select count(*)::int as writes, percentile_cont(0.95) within group (order by path_latency_ms) as p95
         from dual_write_ops, bounds
        where mode = any($1::text[]) and created_at >= upper - $3::float8 * interval '1 millisecond' and created_at < upper
          and primary_store = $4 and path_latency_ms is not null`,
      [MODES, end, spanMs, this.primaryStore],
    );
    const row = rows[0];
    return { writes: row?.writes ?? 0, p95Ms: row?.p95 === null || row?.p95 === undefined ? null : Number(row.p95) };
  }
}
