import type { Pool } from 'pg';

/** Ledger statuses of a write that may still change a store (libs/dual-write/PROTOCOL.md). */
export const UNSETTLED_STATUSES = ['pending', 'primary_done', 'secondary_pending', 'primary_unavailable'] as const;

/**
 * What the operation ledger (`dual_write_ops` in the control database) says about keys during a run: which
 * were written since a moment, and whether their writes have settled. Read-only; times are the control
 * database's own clock, the one the ledger stamps operations with.
 */
export class LedgerActivity {
  constructor(
    private readonly pool: Pool,
    private readonly pollMs = 100,
  ) {}

  /** The control database's clock now. */
  async now(): Promise<Date> {
    const { rows } = await this.pool.query<{ now: Date }>('select now() as now');
    return rows[0].now;
  }

  /** Keys (of `keys`) with an operation claimed or moved at or after `since`, or one still unsettled. */
  async keysWrittenSince(entity: string, keys: readonly string[], since: Date): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.pool.query<{ key: string }>(
      `select distinct key from dual_write_ops, unnest(entity_ids) as key
        where entity = $1 and entity_ids && $2::text[] and key = any($2::text[])
          and (updated_at >= $3 or created_at >= $3 or status = any($4))`,
      [entity, keys, since, UNSETTLED_STATUSES],
    );
    return new Set(rows.map((row) => row.key));
  }

  /** Keys (of `keys`) with an operation still unsettled. */
  async unsettledKeys(entity: string, keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.pool.query<{ key: string }>(
      `select distinct key from dual_write_ops, unnest(entity_ids) as key
        where entity = $1 and entity_ids && $2::text[] and key = any($2::text[]) and status = any($3)`,
      [entity, keys, UNSETTLED_STATUSES],
    );
    return new Set(rows.map((row) => row.key));
  }

  /** Waits until no operation on `keys` is unsettled, or `timeoutMs` ran out; returns the keys still unsettled. */
  async waitUntilSettled(entity: string, keys: readonly string[], timeoutMs: number): Promise<Set<string>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const unsettled = await this.unsettledKeys(entity, keys);
      if (unsettled.size === 0 || Date.now() >= deadline) return unsettled;
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }
}
