import type { Pool } from 'pg';
import { keysOverlapSql } from '@dualwrite/dual-write';

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
        where entity = $1 and ${keysOverlapSql('$2::text[]')} and key = any($2::text[])
          and (updated_at >= $3 or created_at >= $3 or status = any($4))`,
      [entity, keys, since, UNSETTLED_STATUSES],
    );
    return new Set(rows.map((row) => row.key));
  }

  /**
   * Waits until the operations on `keys` that are unsettled now have settled (later ones are not waited for: a
   * key written without pause would never be quiet), or `timeoutMs` ran out; returns the keys of those still open.
   */
  async waitUntilSettled(entity: string, keys: readonly string[], timeoutMs: number): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.pool.query<{ op_id: string }>(
      `select op_id from dual_write_ops where entity = $1 and ${keysOverlapSql('$2::text[]')} and status = any($3)`,
      [entity, keys, UNSETTLED_STATUSES],
    );
    const keySet = new Set(keys);
    const deadline = Date.now() + timeoutMs;
    let open = rows.map((row) => row.op_id);
    for (;;) {
      if (open.length === 0) return new Set();
      const still = await this.pool.query<{ op_id: string; entity_ids: string[] }>(
        'select op_id, entity_ids from dual_write_ops where op_id = any($1::uuid[]) and status = any($2)',
        [open, UNSETTLED_STATUSES],
      );
      open = still.rows.map((row) => row.op_id);
      if (open.length === 0) return new Set();
      if (Date.now() >= deadline) return new Set(still.rows.flatMap((row) => row.entity_ids.filter((key) => keySet.has(key))));
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }
}
