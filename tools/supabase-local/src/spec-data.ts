import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';

/** Rows one spec run owns: two users with budgets and posts, ids fresh per run so runs never collide. */
export interface RunData {
  tag: string;
  ownerA: string;
  ownerB: string;
  /** Owner A's budgets in amount order: 10.00, 20.50, 30.25. */
  budgetsA: { id: string; name: string; amount: string }[];
  budgetB: string;
  publishedPostA: string;
  draftPostA: string;
}

function check(error: { message: string } | null, what: string): void {
  if (error) throw new Error(`spec data: ${what} failed: ${error.message}`);
}

export async function createRunData(service: SupabaseClient): Promise<RunData> {
  const tag = randomUUID().slice(0, 8);
  const ownerA = randomUUID();
  const ownerB = randomUUID();
  const budgetsA = [
    { id: randomUUID(), name: `a-first-${tag}`, amount: '10.00' },
    { id: randomUUID(), name: `a-second-${tag}`, amount: '20.50' },
    { id: randomUUID(), name: `a-third-${tag}`, amount: '30.25' },
  ];
  const budgetB = randomUUID();
  const publishedPostA = randomUUID();
  const draftPostA = randomUUID();
  check(
    (
      await service.from('users').insert([
        { id: ownerA, email: `a-${tag}@spec.local`, display_name: 'Owner A' },
        { id: ownerB, email: `b-${tag}@spec.local`, display_name: 'Owner B' },
      ])
    ).error,
    'users',
  );
  check(
    (
      await service.from('budgets').insert([
        ...budgetsA.map((budget) => ({ ...budget, owner_id: ownerA, currency: 'EUR' })),
        { id: budgetB, owner_id: ownerB, name: `b-only-${tag}`, amount: '99.99', currency: 'USD' },
      ])
    ).error,
    'budgets',
  );
  check(
    (
      await service.from('posts').insert([
        { id: publishedPostA, author_id: ownerA, title: 'published', body: 'p', published: true },
        { id: draftPostA, author_id: ownerA, title: 'draft', body: 'd', published: false },
      ])
    ).error,
    'posts',
  );
  return { tag, ownerA, ownerB, budgetsA, budgetB, publishedPostA, draftPostA };
}

/** Deleting the users cascades to their budgets, posts and comments. */
export async function deleteRunData(service: SupabaseClient, data: RunData | undefined, extraUsers: string[] = []): Promise<void> {
  if (!data) return;
  check((await service.from('users').delete().in('id', [data.ownerA, data.ownerB, ...extraUsers])).error, 'cleanup');
}
