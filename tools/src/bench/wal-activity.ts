import type { Pool } from 'pg';

/**
 * What the PostgreSQL server wrote to its WAL so far (`pg_stat_wal`, PostgreSQL 14+): the whole server, every database.
 * Busy sessions hand their counts in about once a second, so a window's figures lag its load by up to a second.
 */
export interface WalCounters {
  records: number;
  bytes: number;
  /** Times the WAL was flushed to disk (`wal_sync`): each synchronous commit that found its WAL unflushed waits for one. */
  syncs: number;
}

export const NO_WAL: WalCounters = { records: 0, bytes: 0, syncs: 0 };

/** The server's counters now; null when it cannot tell (older than 14, or no access). */
export async function walCounters(pool: Pool): Promise<WalCounters | null> {
  try {
    const { rows } = await pool.query<{ records: string; bytes: string; syncs: string }>('select wal_records as records, wal_bytes as bytes, wal_sync as syncs from pg_stat_wal');
    const row = rows[0];
    return row ? { records: Number(row.records), bytes: Number(row.bytes), syncs: Number(row.syncs) } : null;
  } catch {
    return null;
  }
}

/** `total` plus what was written between `before` and `after` (nothing when either could not be read). */
export function addWal(total: WalCounters, before: WalCounters | null, after: WalCounters | null): WalCounters {
  if (!before || !after) return total;
  return { records: total.records + after.records - before.records, bytes: total.bytes + after.bytes - before.bytes, syncs: total.syncs + after.syncs - before.syncs };
}

/** `records | KB | flushes` a write, for a Markdown row. */
export function walPerWrite(wal: WalCounters, writes: number): string {
  const per = (value: number) => value / Math.max(1, writes);
  return `${per(wal.records).toFixed(1)} | ${(per(wal.bytes) / 1024).toFixed(2)} | ${per(wal.syncs).toFixed(2)}`;
}
