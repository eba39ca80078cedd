import type { Pool } from 'pg';

/** The key of the `n`-th budget `seedOwnerWithBudgets` writes. */
export const seededBudget = (n: number): string => `7e57b000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Empties the example tables, then writes one owner and its five budgets (keys `seededBudget(1..5)`, fixed dates). */
export async function seedOwnerWithBudgets(pool: Pool, owner: { id: string; email: string }): Promise<void> {
  await pool.query('truncate comments, posts, budgets, users cascade');
  await pool.query(`insert into users (id, email, display_name, created_at, updated_at) values ($1, $2, 'Owner', '2026-01-01Z', '2026-01-01Z')`, [owner.id, owner.email]);
  await pool.query(
    `insert into budgets (id, owner_id, name, amount, currency, metadata, created_at, updated_at)
     select ('7e57b000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, $1, 'Budget ' || n, n * 10, 'EUR', '{}', '2026-01-01Z', '2026-01-01Z' from generate_series(1, 5) n`,
    [owner.id],
  );
}
