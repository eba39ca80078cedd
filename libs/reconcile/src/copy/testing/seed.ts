import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

/** Deterministic example-domain rows on a store's database: users, their budgets, posts and comments. */
export async function seedExampleRows(pool: Pool, counts: { users: number; budgets: number; posts?: number; comments?: number }): Promise<void> {
  await pool.query(
    `insert into users (id, email, display_name)
     select md5('user' || n)::uuid, 'user' || n || '@copy.test', 'User ' || n from generate_series(1, $1::int) n`,
    [counts.users],
  );
  await pool.query(
    `insert into budgets (id, owner_id, name, amount, currency, metadata)
     select md5('budget' || n)::uuid, md5('user' || (1 + n % $2::int))::uuid, 'Budget ' || n, (n * 1.25)::numeric(14, 2), 'EUR',
            jsonb_build_object('n', n, 'tags', jsonb_build_array('seed'))
       from generate_series(1, $1::int) n`,
    [counts.budgets, counts.users],
  );
  await pool.query(
    `insert into posts (id, author_id, title, body)
     select md5('post' || n)::uuid, md5('user' || (1 + n % $2::int))::uuid, 'Post ' || n, 'Body of post ' || n from generate_series(1, $1::int) n`,
    [counts.posts ?? 0, counts.users],
  );
  await pool.query(
    `insert into comments (post_id, author_id, body)
     select md5('post' || (1 + n % $2::int))::uuid, md5('user' || (1 + n % $3::int))::uuid, 'Comment ' || n from generate_series(1, $1::int) n`,
    [counts.comments ?? 0, Math.max(1, counts.posts ?? 1), counts.users],
  );
}

/** Empties the example tables of a store's database (a scratch one: never dw_primary or dw_supabase). */
export async function emptyExampleTables(pool: Pool): Promise<void> {
  await pool.query('truncate comments, posts, budgets, users cascade');
}

/** The key of the n-th seeded budget. */
export function seededBudgetId(n: number): string {
  const hex = createHash('md5').update(`budget${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
