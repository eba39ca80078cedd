import type { Pool } from 'pg';
import { ScratchStores } from '../../copy/testing/scratch-stores';

/** The copy suite's scratch stores (both stores, supabase-local of its own, control database) under this task's own database names. */
export class VerifyScratchStores extends ScratchStores {
  override readonly names = { a: `dw_verify_t_${this.suffix}_a`, b: `dw_verify_t_${this.suffix}_b`, control: `dw_verify_t_${this.suffix}_control` };
}

export const OWNER_ID = '7e57a000-0000-4000-8000-000000000001';

/** The n-th budget of the verify suites' seed. */
export function budgetId(n: number): string {
  return `7e57b000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** The same rows, with the same timestamps (2026-01-01), on a store's database: one user and `budgets` budgets. */
export async function seedEqualRows(pool: Pool, budgets: number): Promise<void> {
  await pool.query('truncate comments, posts, budgets, users cascade');
  await pool.query(
    `insert into users (id, email, display_name, created_at, updated_at) values ($1, 'owner@verify.test', 'Owner', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
    [OWNER_ID],
  );
  await pool.query(
    `insert into budgets (id, owner_id, name, amount, currency, metadata, created_at, updated_at)
     select ('7e57b000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, $2, 'Budget ' || n, n * 10, 'EUR', '{}'::jsonb, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
       from generate_series(1, $1::int) n`,
    [budgets, OWNER_ID],
  );
}
