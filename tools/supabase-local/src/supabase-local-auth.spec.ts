import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startSupabaseLocal } from './server';
import { createRunData, deleteRunData, type RunData } from './spec-data';
import { clientFor, signKey, startSpecTarget, type SpecTarget } from './spec-target';

describe('supabase-local keys, roles and row-level security', () => {
  let target: SpecTarget;
  let service: SupabaseClient;
  let ownerAClient: SupabaseClient;
  let anon: SupabaseClient;
  let data: RunData;

  beforeAll(async () => {
    target = await startSpecTarget();
    service = clientFor(target.url, target.serviceRoleKey);
    anon = clientFor(target.url, target.anonKey);
    data = await createRunData(service);
    const userJwt = signKey(target.jwtSecret, { role: 'authenticated', sub: data.ownerA, aud: 'authenticated' });
    ownerAClient = clientFor(target.url, target.anonKey, { bearer: userJwt });
  });

  afterAll(async () => {
    await deleteRunData(service, data);
    await target.close();
  });

  const runOwners = () => [data.ownerA, data.ownerB];

  it('rejects a key signed with another secret with 401', async () => {
    const forged = signKey('another-secret-that-is-at-least-32-chars-long', { role: 'service_role' });
    const result = await clientFor(target.url, forged).from('budgets').select('id').limit(1);
    expect(result.status).toBe(401);
    if (target.local) expect(result.error?.code).toBe('PGRST301');
  });

  it('rejects a request without any key with 401', async () => {
    const response = await fetch(`${target.url}/rest/v1/budgets?select=id&limit=1`);
    await response.body?.cancel();
    expect(response.status).toBe(401);
  });

  it('rejects an expired key with 401', async () => {
    const expired = signKey(target.jwtSecret, { role: 'service_role', exp: Math.floor(Date.now() / 1000) - 60 });
    const result = await clientFor(target.url, target.anonKey, { bearer: expired }).from('budgets').select('id').limit(1);
    expect(result.status).toBe(401);
  });

  it('service_role sees every row, past row-level security', async () => {
    const { data: rows } = await service.from('budgets').select('id').in('owner_id', runOwners());
    expect(rows).toHaveLength(4);
  });

  it('an authenticated user sees only own budgets', async () => {
    const { data: rows, error } = await ownerAClient.from('budgets').select('owner_id').in('owner_id', runOwners());
    expect(error).toBeNull();
    expect(rows).toEqual(data.budgetsA.map(() => ({ owner_id: data.ownerA })));
  });

  it('an authenticated user sees only own posts', async () => {
    const { data: rows } = await ownerAClient.from('posts').select('id').in('author_id', runOwners()).order('id');
    expect(rows?.map((row) => row.id)).toEqual([data.publishedPostA, data.draftPostA].sort());
  });

  it("an authenticated user cannot update another owner's row: nothing matches and the row stays", async () => {
    const result = await ownerAClient.from('budgets').update({ name: 'hijacked' }).eq('id', data.budgetB).select('id');
    expect(result.data).toEqual([]);
    expect((await service.from('budgets').select('name').eq('id', data.budgetB).single()).data).toEqual({ name: `b-only-${data.tag}` });
  });

  it('an authenticated user inserting a row for another owner gets 42501 with 403', async () => {
    const result = await ownerAClient.from('budgets').insert({ id: randomUUID(), owner_id: data.ownerB, name: 'x', amount: 1, currency: 'EUR' });
    expect(result.status).toBe(403);
    expect(result.error?.code).toBe('42501');
  });

  it('an authenticated user can change own rows', async () => {
    const result = await ownerAClient.from('posts').update({ title: 'retitled' }).eq('id', data.draftPostA).select('title').single();
    expect(result.data).toEqual({ title: 'retitled' });
  });

  it('anon sees none of the owned rows', async () => {
    const budgets = await anon.from('budgets').select('id').in('owner_id', runOwners());
    const users = await anon.from('users').select('id').in('id', runOwners());
    expect(budgets.data).toEqual([]);
    expect(users.data).toEqual([]);
  });

  it('anon inserting an owned row gets 42501 with 401', async () => {
    const result = await anon.from('budgets').insert({ id: randomUUID(), owner_id: data.ownerA, name: 'x', amount: 1, currency: 'EUR' });
    expect(result.status).toBe(401);
    expect(result.error?.code).toBe('42501');
  });

  (process.env['DUALWRITE_NO_ENV_DEFAULTS'] === 'true' ? it.skip : it)('answers 503 when its database is unreachable', async () => {
    const down = await startSupabaseLocal({ port: 0, databaseUrl: 'postgresql://postgres@127.0.0.1:1/dw_supabase', jwtSecret: target.jwtSecret });
    try {
      const result = await clientFor(down.url, target.serviceRoleKey).from('budgets').select('id').limit(1).retry(false);
      expect(result.status).toBe(503);
      expect(result.error?.code).toBe('PGRST000');
    } finally {
      await down.close();
    }
  });
});
