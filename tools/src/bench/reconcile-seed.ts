import type { Pool } from 'pg';

/**
 * The benchmark's data: `rows` rows of the demo schema split evenly over users, budgets, posts and comments,
 * the same on both stores, then 0.1 % of them made to differ in mixed kinds (a third missing on B, a third missing
 * on A, a third with one changed field), spread over the key space. Foreign keys are dropped first: the bench
 * deletes single rows on one side, which must not cascade.
 */
export interface SeededDifference {
  entity: string;
  key: string;
  kind: 'missing_in_secondary' | 'missing_in_primary' | 'changed';
  field?: string;
}

const TABLES = [
  {
    entity: 'users',
    key: (i: string) => `md5('u' || ${i})::uuid`,
    insert: (n: number) => `insert into users (id, email, display_name, created_at, updated_at)
      select md5('u' || i)::uuid, 'user' || i || '@bench.test', 'User ' || i, timestamptz '2026-01-01' + i * interval '1 ms', timestamptz '2026-01-01' + i * interval '1 ms'
        from generate_series(1, ${n}) as i`,
    change: { field: 'displayName', sql: "display_name = display_name || ' (changed)'" },
  },
  {
    entity: 'budgets',
    key: (i: string) => `md5('b' || ${i})::uuid`,
    insert: (n: number) => `insert into budgets (id, owner_id, name, amount, currency, metadata, created_at, updated_at)
      select md5('b' || i)::uuid, md5('u' || (1 + i % ${n}))::uuid, 'Budget ' || i, (i % 100000) * 1.25, 'EUR',
             jsonb_build_object('n', i, 'tags', jsonb_build_array('x', 'y')), timestamptz '2026-01-01', timestamptz '2026-01-01' + i * interval '1 ms'
        from generate_series(1, ${n}) as i`,
    change: { field: 'amount', sql: 'amount = amount + 0.01' },
  },
  {
    entity: 'posts',
    key: (i: string) => `md5('p' || ${i})::uuid`,
    insert: (n: number) => `insert into posts (id, author_id, title, body, published, created_at, updated_at)
      select md5('p' || i)::uuid, md5('u' || (1 + i % ${n}))::uuid, 'Post ' || i, repeat('lorem ipsum ', 8) || i, i % 3 = 0,
             timestamptz '2026-01-01', timestamptz '2026-01-01' + i * interval '1 ms'
        from generate_series(1, ${n}) as i`,
    change: { field: 'published', sql: 'published = not published' },
  },
  {
    entity: 'comments',
    key: (i: string) => `${i}`,
    insert: (n: number) => `insert into comments (id, post_id, author_id, body, created_at, updated_at)
      select i, md5('p' || (1 + i % ${n}))::uuid, md5('u' || (1 + i % ${n}))::uuid, 'Comment ' || i,
             timestamptz '2026-01-01', timestamptz '2026-01-01' + i * interval '1 ms'
        from generate_series(1, ${n}) as i`,
    change: { field: 'body', sql: "body = body || '!'" },
  },
] as const;

export async function dropForeignKeys(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ table_name: string; constraint_name: string }>(
    "select table_name, constraint_name from information_schema.table_constraints where constraint_type = 'FOREIGN KEY' and table_schema = 'public'",
  );
  for (const row of rows) await pool.query(`alter table "${row.table_name}" drop constraint "${row.constraint_name}"`);
}

/** Seeds both stores and returns the differences made, the ground truth the findings are scored against. */
export async function seedBenchData(a: Pool, b: Pool, rows: number): Promise<SeededDifference[]> {
  const perTable = Math.floor(rows / TABLES.length);
  const differing = Math.max(3, Math.floor(perTable / 1000));
  const seeded: SeededDifference[] = [];
  for (const table of TABLES) {
    await Promise.all([a.query(table.insert(perTable)), b.query(table.insert(perTable))]);
    // Rows i = step, 2·step, …: every third kind in turn.
    const step = Math.floor(perTable / differing);
    for (let d = 0; d < differing; d += 1) {
      const i = String((d + 1) * step - 7 * (d % 5));
      const kind = (['missing_in_secondary', 'missing_in_primary', 'changed'] as const)[d % 3];
      const keyExpression = table.key(i);
      const { rows: keyRows } = await a.query<{ key: string }>(`select (${keyExpression})::text as key`);
      const key = keyRows[0].key;
      if (kind === 'missing_in_secondary') await b.query(`delete from ${table.entity} where id = ${keyExpression}`);
      if (kind === 'missing_in_primary') await a.query(`delete from ${table.entity} where id = ${keyExpression}`);
      if (kind === 'changed') await b.query(`update ${table.entity} set ${table.change.sql} where id = ${keyExpression}`);
      seeded.push({ entity: table.entity, key, kind, ...(kind === 'changed' ? { field: table.change.field } : {}) });
    }
  }
  await Promise.all([a.query('vacuum analyze'), b.query('vacuum analyze')]);
  return seeded;
}
