import type { Pool } from 'pg';
import { UNSETTLED_STATUSES } from '@dualwrite/reconcile';

/** What the ledger says about a set of operations the bench sent (by opId), counted by status. */
export interface LedgerCounts {
  /** Operations the bench sent. */
  sent: number;
  byStatus: Map<string, number>;
  /** Sent but not in the ledger: refused before the claim (invalid, or held past a fenced flip), or never answered. */
  missing: number;
}

export function unsettledIn(counts: LedgerCounts): number {
  return UNSETTLED_STATUSES.reduce((total, status) => total + (counts.byStatus.get(status) ?? 0), 0);
}

/** "applied 3598, abandoned 2; 1 not in the ledger" */
export function describeLedger(counts: LedgerCounts): string {
  const statuses = [...counts.byStatus].map(([status, n]) => `${status} ${n}`).join(', ') || 'nothing';
  return counts.missing > 0 ? `${statuses}; ${counts.missing} not in the ledger` : statuses;
}

/** Counts the operations `opIds` by their status in `dual_write_ops` (control database). */
export async function ledgerCounts(control: Pool, opIds: string[]): Promise<LedgerCounts> {
  const { rows } = await control.query<{ status: string; n: string }>(
    'select status, count(*) as n from dual_write_ops where op_id = any($1::uuid[]) group by status order by status',
    [opIds],
  );
  const byStatus = new Map(rows.map((row) => [row.status, Number(row.n)]));
  const found = [...byStatus.values()].reduce((total, n) => total + n, 0);
  return { sent: opIds.length, byStatus, missing: opIds.length - found };
}

/**
 * Waits until none of `opIds` is in an unsettled status, or `timeoutMs` passed; gives the counts either way, so
 * the caller reports what is left instead of failing without figures.
 */
export async function waitUntilSettled(control: Pool, opIds: string[], timeoutMs: number, pollMs = 500): Promise<LedgerCounts> {
  return readUntil(() => ledgerCounts(control, opIds), (counts) => unsettledIn(counts) === 0, timeoutMs, pollMs);
}

/** Reads until `done` holds for what was read, or `timeoutMs` passed; gives the last reading either way. */
async function readUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, pollMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Operations claimed since `since` still in an unsettled status (the partial index `dual_write_ops_open_idx`). */
export async function unsettledOperationsSince(control: Pool, since: Date): Promise<number> {
  const { rows } = await control.query<{ n: string }>('select count(*) as n from dual_write_ops where open and status = any($1::text[]) and created_at >= $2', [
    UNSETTLED_STATUSES,
    since,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Waits until no operation claimed since `since` (the control database's clock: `LedgerActivity.now()`) is
 * unsettled, or `timeoutMs` passed: what a full load left behind (mode 2's syncs trail their answers). Gives how many
 * there were at the start, how long it took, and how many are left.
 */
export async function waitUntilLedgerQuiet(control: Pool, since: Date, timeoutMs: number, pollMs = 50): Promise<{ atStart: number; waitedMs: number; left: number }> {
  const started = performance.now();
  const atStart = await unsettledOperationsSince(control, since);
  const left = atStart === 0 ? 0 : await readUntil(() => unsettledOperationsSince(control, since), (n) => n === 0, timeoutMs, pollMs);
  return { atStart, waitedMs: performance.now() - started, left };
}
