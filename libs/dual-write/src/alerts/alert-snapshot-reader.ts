import type { Pool } from 'pg';
import { modeOf, type DualWriteFlags, type DualWriteMode } from '../flags/dual-write-mode';
import { FlagRepository } from '../flags/flag-repository';
import type { AlertSnapshot, LatencySample } from './alert.types';
import type { BreakerStateBoard } from './breaker-state-board';

export interface AlertSnapshotReaderOptions {
  /** How far back the error rates look. Default 300 000 ms (5 min). */
  windowMs?: number;
  /** Most recent writes per phase the p95s are computed over. Default 1000. */
  latencySampleSize?: number;
}

/** A store that failed the caller (an answer, not a business refusal, is not told apart here). */
const FAILED = `('failed', 'timeout', 'skipped')`;

interface ModeChange {
  at: Date;
  from: DualWriteMode;
  to: DualWriteMode;
}

/**
 * Reads what the alert rules need: the flags and their history, the ledger's recent dual writes (outcomes and
 * latencies the engine recorded), unresolved error diffs, and the breaker board in Redis. Times of operations
 * are compared on the database's clock.
 */
export class AlertSnapshotReader {
  private readonly flags: FlagRepository;
  private readonly windowMs: number;
  private readonly latencySampleSize: number;

  constructor(
    private readonly pool: Pool,
    private readonly breakerBoard: Pick<BreakerStateBoard, 'read'> | null,
    options: AlertSnapshotReaderOptions = {},
  ) {
    this.flags = new FlagRepository(pool);
    this.windowMs = options.windowMs ?? 300_000;
    this.latencySampleSize = options.latencySampleSize ?? 1_000;
  }

  async read(): Promise<AlertSnapshot> {
    const [flags, changes, clock] = await Promise.all([this.flags.read(), this.modeChanges(), this.databaseNow()]);
    const mode = modeOf(flags);
    const lastModeChange = changes[0] ?? null;
    const lastAdvance = changes.find((change) => change.to.phase === mode.phase && change.from.phase < mode.phase) ?? null;
    const windowStart = new Date(clock.getTime() - this.windowMs);
    const since = lastModeChange && lastModeChange.at > windowStart ? lastModeChange.at : windowStart;
    const [recentDualWrites, current, previous, unresolvedErrorDiffs, breakers] = await Promise.all([
      this.recentDualWrites(mode, since),
      this.latency(mode, { since: lastModeChange?.at ?? null }),
      lastModeChange ? this.latency(lastModeChange.from, { before: lastModeChange.at }) : Promise.resolve(null),
      this.unresolvedErrorDiffs(),
      this.breakerBoard ? this.breakerBoard.read() : Promise.resolve([]),
    ]);
    return {
      at: new Date(),
      mode,
      flagsVersion: flags.version,
      lastModeChange: lastModeChange && { at: lastModeChange.at, from: lastModeChange.from },
      lastAdvance: lastAdvance && { at: lastAdvance.at, from: lastAdvance.from },
      recentDualWrites: { since, ...recentDualWrites },
      latency: { current, previous },
      unresolvedErrorDiffs,
      breakers,
    };
  }

  /** Flag changes that changed the mode, newest first (a change of both flags to the same values is none). */
  private async modeChanges(limit = 200): Promise<ModeChange[]> {
    const { rows } = await this.pool.query<{ changed_at: Date; before: DualWriteFlags; after: DualWriteFlags }>(
      `select changed_at, before, after from dual_write_flag_history
        where before->'enableDualWrite' is distinct from after->'enableDualWrite'
           or before->'enableSupabasePrimary' is distinct from after->'enableSupabasePrimary'
        order by id desc limit $1`,
      [limit],
    );
    return rows.map((row) => ({ at: row.changed_at, from: modeOf(row.before), to: modeOf(row.after) }));
  }

  private async databaseNow(): Promise<Date> {
    const { rows } = await this.pool.query<{ now: Date }>('select now() as now');
    return rows[0]?.now ?? new Date();
  }

  private async recentDualWrites(mode: DualWriteMode, since: Date): Promise<{ total: number; secondaryErrors: number; partialFailures: number }> {
    if (!mode.dual) return { total: 0, secondaryErrors: 0, partialFailures: 0 };
    const { rows } = await this.pool.query<{ total: string; secondary_errors: string; partial_failures: string }>(
      `select count(*) as total,
              count(*) filter (where secondary_outcome in ${FAILED}) as secondary_errors,
              count(*) filter (where (primary_outcome in ${FAILED}) <> (secondary_outcome in ${FAILED})) as partial_failures
         from dual_write_ops
        where mode = $1 and created_at >= $2 and primary_outcome is not null and secondary_outcome is not null`,
      [mode.name, since],
    );
    const row = rows[0];
    return { total: Number(row?.total ?? 0), secondaryErrors: Number(row?.secondary_errors ?? 0), partialFailures: Number(row?.partial_failures ?? 0) };
  }

  /**
   * p95 of what callers waited for successful writes in a mode (the latest ones: since a time, or before one),
   * overall and by kind of write, with how many writes and how long they span.
   */
  private async latency(mode: DualWriteMode, range: { since?: Date | null; before?: Date }): Promise<LatencySample> {
    const { rows } = await this.pool.query<{ entity: string | null; operation: string | null; p95: number | null; samples: string; span_ms: number | null }>(
      `select entity, operation, percentile_cont(0.95) within group (order by path_latency_ms) as p95, count(*) as samples,
              extract(epoch from max(created_at) - min(created_at)) * 1000 as span_ms
         from (select entity, operation, path_latency_ms, created_at from dual_write_ops
                where mode = $1 and primary_outcome = 'ok' and path_latency_ms is not null
                  and ($2::timestamptz is null or created_at >= $2) and ($3::timestamptz is null or created_at < $3)
                order by created_at desc limit $4) as recent
        group by grouping sets ((entity, operation), ())`,
      [mode.name, range.since ?? null, range.before ?? null, this.latencySampleSize],
    );
    const figures = (row: (typeof rows)[number] | undefined) => ({
      p95Ms: row?.p95 === null || row?.p95 === undefined ? null : Math.round(Number(row.p95)),
      samples: Number(row?.samples ?? 0),
      spanMs: Math.round(Number(row?.span_ms ?? 0)),
    });
    const overall = rows.find((row) => row.entity === null && row.operation === null);
    const groups = rows
      .filter((row) => row.entity !== null && row.operation !== null)
      .map((row) => ({ entity: row.entity as string, operation: row.operation as string, ...figures(row) }))
      .sort((left, right) => `${left.entity} ${left.operation}`.localeCompare(`${right.entity} ${right.operation}`));
    return { mode: mode.name, ...figures(overall), groups };
  }

  private async unresolvedErrorDiffs(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `select count(*) as n from dual_write_diffs where severity = 'error' and resolved_at is null`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
