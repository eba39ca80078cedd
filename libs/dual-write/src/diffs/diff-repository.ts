import type { Pool } from 'pg';
import type { DiffSeverity } from '../compare/diff-severity';
import type { DiffRecord } from './diff-record';

export interface DiffStatsRow {
  apiEndpoint: string;
  severity: DiffSeverity;
  count: number;
  unresolved: number;
  lastSeenAt: Date;
}

export interface DiffListFilter {
  severity?: DiffSeverity;
  entity?: string;
  apiEndpoint?: string;
  unresolvedOnly?: boolean;
  since?: Date;
  /** Keyset pagination: rows with an id below this one (ids grow with time; newest first). */
  beforeId?: number;
  limit: number;
}

export interface StoredDiff extends DiffRecord {
  id: number;
  createdAt: Date;
  resolvedAt: Date | null;
}

interface StoredDiffRow {
  id: string;
  diff_id: string;
  api_endpoint: string;
  entity: string;
  entity_id: string | null;
  operation: string;
  severity: DiffSeverity;
  diff: DiffRecord['differences'];
  primary_store: string;
  secondary_store: string;
  primary_latency_ms: number | null;
  secondary_latency_ms: number | null;
  resolved_at: Date | null;
  created_at: Date;
}

/** dual_write_diffs: batch inserts from the worker, stats, lists and cleanup for the admin API. */
export class DiffRepository {
  constructor(private readonly pool: Pool) {}

  /** Stores a batch in one statement; a diff already stored (same diffId) is skipped. Returns rows inserted. */
  async insertBatch(diffs: DiffRecord[]): Promise<number> {
    if (diffs.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `insert into dual_write_diffs
         (diff_id, api_endpoint, entity, entity_id, operation, severity, diff, primary_store, secondary_store,
          primary_latency_ms, secondary_latency_ms, created_at)
       select * from jsonb_to_recordset($1::jsonb) as d(
         diff_id uuid, api_endpoint text, entity text, entity_id text, operation text, severity text, diff jsonb,
         primary_store text, secondary_store text, primary_latency_ms integer, secondary_latency_ms integer,
         created_at timestamptz)
       on conflict (diff_id) do nothing`,
      [
        JSON.stringify(
          diffs.map((diff) => ({
            diff_id: diff.diffId,
            api_endpoint: diff.apiEndpoint,
            entity: diff.entity,
            entity_id: diff.entityId,
            operation: diff.operation,
            severity: diff.severity,
            diff: diff.differences,
            primary_store: diff.primaryStore,
            secondary_store: diff.secondaryStore,
            primary_latency_ms: diff.primaryLatencyMs,
            secondary_latency_ms: diff.secondaryLatencyMs,
            created_at: diff.seenAt,
          })),
        ),
      ],
    );
    return rowCount ?? 0;
  }

  async stats(days: number): Promise<DiffStatsRow[]> {
    const { rows } = await this.pool.query<{ api_endpoint: string; severity: DiffSeverity; n: string; unresolved: string; last_seen_at: Date }>(
      `select api_endpoint, severity, count(*) as n, count(*) filter (where resolved_at is null) as unresolved,
              max(created_at) as last_seen_at
         from dual_write_diffs
        where created_at >= now() - make_interval(days => $1)
        group by api_endpoint, severity
        order by api_endpoint, severity`,
      [days],
    );
    return rows.map((row) => ({
      apiEndpoint: row.api_endpoint,
      severity: row.severity,
      count: Number(row.n),
      unresolved: Number(row.unresolved),
      lastSeenAt: row.last_seen_at,
    }));
  }

  async list(filter: DiffListFilter): Promise<StoredDiff[]> {
    const { rows } = await this.pool.query<StoredDiffRow>(
      `select * from dual_write_diffs
        where ($1::text is null or severity = $1)
          and ($2::text is null or entity = $2)
          and ($3::text is null or api_endpoint = $3)
          and (not $4::boolean or resolved_at is null)
          and ($5::timestamptz is null or created_at >= $5)
          and ($6::bigint is null or id < $6)
        order by id desc
        limit $7`,
      [filter.severity ?? null, filter.entity ?? null, filter.apiEndpoint ?? null, filter.unresolvedOnly ?? false, filter.since ?? null, filter.beforeId ?? null, filter.limit],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      diffId: row.diff_id,
      apiEndpoint: row.api_endpoint,
      entity: row.entity,
      entityId: row.entity_id,
      operation: row.operation,
      severity: row.severity,
      differences: row.diff,
      primaryStore: row.primary_store,
      secondaryStore: row.secondary_store,
      primaryLatencyMs: row.primary_latency_ms,
      secondaryLatencyMs: row.secondary_latency_ms,
      seenAt: row.created_at.toISOString(),
      createdAt: row.created_at,
      resolvedAt: row.resolved_at,
    }));
  }

  /** Deletes info-level diffs older than `days`; warning and error diffs are kept. Returns rows deleted. */
  async cleanup(days: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `delete from dual_write_diffs where severity = 'info' and created_at < now() - make_interval(days => $1)`,
      [days],
    );
    return rowCount ?? 0;
  }

  async countUnresolved(severity: DiffSeverity): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'select count(*) as n from dual_write_diffs where severity = $1 and resolved_at is null',
      [severity],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
