import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import { Client } from 'pg';
import { clientFor, startSpecTarget, type SpecTarget } from './spec-target';

/**
 * The Prefer header on real PostgreSQL: tx, max-affected, handling, the upsert status and Preference-Applied.
 * Each scenario owns a fresh user with its own budgets (fresh uuids); deleting the users afterwards cascades.
 */
describe('supabase-local Prefer header (PostgREST behaviour, service role)', () => {
  let target: SpecTarget;
  let service: SupabaseClient;
  const users: string[] = [];

  type Budget = { id: string; owner_id: string; name: string; amount: string; currency: string };

  /** A user with `count` budgets named `<label>-<n>`, amounts 1.00, 2.00, … */
  async function ownerWithBudgets(label: string, count: number): Promise<{ owner: string; budgets: Budget[] }> {
    const owner = randomUUID();
    users.push(owner);
    const user = await service.from('users').insert({ id: owner, email: `${owner}@prefer.spec.local`, display_name: label });
    if (user.error) throw new Error(`spec data: users: ${user.error.message}`);
    const budgets = Array.from({ length: count }, (_, index) => ({
      id: randomUUID(),
      owner_id: owner,
      name: `${label}-${index + 1}`,
      amount: `${index + 1}.00`,
      currency: 'EUR',
    }));
    if (count > 0) {
      const inserted = await service.from('budgets').insert(budgets);
      if (inserted.error) throw new Error(`spec data: budgets: ${inserted.error.message}`);
    }
    return { owner, budgets };
  }

  async function namesOf(owner: string): Promise<string[]> {
    const { data, error } = await service.from('budgets').select('name').eq('owner_id', owner).order('name');
    if (error) throw new Error(error.message);
    return (data ?? []).map((row: { name: string }) => row.name);
  }

  /**
   * Plain fetch, to see status and headers exactly as sent (supabase-js's typings also offer maxAffected() only to a
   * client typed for PostgREST 13; it sends the same `Prefer: handling=strict, max-affected=<n>`).
   */
  function rest(path: string, init: { method?: string; prefer?: string; body?: unknown } = {}): Promise<Response> {
    const headers: Record<string, string> = {
      apikey: target.serviceRoleKey,
      Authorization: `Bearer ${target.serviceRoleKey}`,
      'Content-Type': 'application/json',
    };
    if (init.prefer !== undefined) headers['Prefer'] = init.prefer;
    return fetch(`${target.url}/rest/v1/${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  }

  const rpcPrefix = `supabase_local_prefer_spec_${randomUUID().slice(0, 8)}`;
  const deleteBudgetsFn = `${rpcPrefix}_delete_budgets`;
  const scalarFn = `${rpcPrefix}_one`;

  async function sql(text: string): Promise<void> {
    const client = new Client({ connectionString: target.databaseUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    target = await startSpecTarget();
    service = clientFor(target.url, target.serviceRoleKey);
    await sql(
      `create function public.${deleteBudgetsFn}(owner uuid) returns setof public.budgets language sql ` +
        `as 'delete from public.budgets where owner_id = owner returning *'; ` +
        `create function public.${scalarFn}() returns integer language sql as 'select 1'; ` +
        `notify pgrst, 'reload schema'`,
    );
    // A real PostgREST reloads its schema cache asynchronously; the local endpoint reads the catalog per request.
    for (let attempt = 0; !target.local && attempt < 40; attempt++) {
      if ((await service.rpc(scalarFn)).error?.code !== 'PGRST202') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  afterAll(async () => {
    if (users.length > 0) await service.from('users').delete().in('id', users);
    await sql(`drop function if exists public.${deleteBudgetsFn}(uuid); drop function if exists public.${scalarFn}()`);
    await target.close();
  });

  describe('tx', () => {
    it('tx=rollback on an insert answers the would-be row and writes nothing', async () => {
      const { owner } = await ownerWithBudgets('tx-insert', 0);
      const id = randomUUID();
      const result = await service
        .from('budgets')
        .insert({ id, owner_id: owner, name: 'never-kept', amount: '7.00', currency: 'EUR' })
        .select('id,name')
        .rollback();
      expect(result.error).toBeNull();
      expect(result.status).toBe(201);
      expect(result.data).toEqual([{ id, name: 'never-kept' }]);
      expect(await namesOf(owner)).toEqual([]);
    });

    it('tx=rollback on a delete leaves every row in place', async () => {
      const { owner } = await ownerWithBudgets('tx-delete', 2);
      const result = await service.from('budgets').delete().eq('owner_id', owner).rollback();
      expect(result.error).toBeNull();
      expect(result.status).toBe(204);
      expect(await namesOf(owner)).toEqual(['tx-delete-1', 'tx-delete-2']);
    });

    it('tx=rollback is named in Preference-Applied', async () => {
      const { owner, budgets } = await ownerWithBudgets('tx-header', 1);
      const response = await rest(`budgets?id=eq.${budgets[0]?.id}`, { method: 'PATCH', prefer: 'tx=rollback, return=minimal', body: { name: 'renamed' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('preference-applied')).toBe('return=minimal, tx=rollback');
      expect(await namesOf(owner)).toEqual(['tx-header-1']);
    });

    it('tx=commit commits as without the preference', async () => {
      const { owner, budgets } = await ownerWithBudgets('tx-commit', 1);
      const response = await rest(`budgets?id=eq.${budgets[0]?.id}`, { method: 'PATCH', prefer: 'tx=commit', body: { name: 'tx-commit-renamed' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('preference-applied')).toBe('tx=commit');
      expect(await namesOf(owner)).toEqual(['tx-commit-renamed']);
    });
  });

  describe('max-affected', () => {
    it('an update affecting more rows than max-affected fails with 400 PGRST124 and changes nothing', async () => {
      const { owner } = await ownerWithBudgets('max-update', 3);
      const response = await rest(`budgets?owner_id=eq.${owner}`, { method: 'PATCH', prefer: 'handling=strict, max-affected=2', body: { name: 'too-many' } });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 'PGRST124',
        message: 'Query result exceeds max-affected preference constraint',
        details: 'The query affects 3 rows',
        hint: null,
      });
      expect(await namesOf(owner)).toEqual(['max-update-1', 'max-update-2', 'max-update-3']);
    });

    it('a delete affecting more rows than max-affected fails with 400 PGRST124 and deletes nothing', async () => {
      const { owner } = await ownerWithBudgets('max-delete', 2);
      const response = await rest(`budgets?owner_id=eq.${owner}`, { method: 'DELETE', prefer: 'handling=strict, max-affected=1, return=representation' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'PGRST124', details: 'The query affects 2 rows' });
      expect(await namesOf(owner)).toEqual(['max-delete-1', 'max-delete-2']);
    });

    it('an update within max-affected goes through and names handling and max-affected in Preference-Applied', async () => {
      const { owner } = await ownerWithBudgets('max-within', 2);
      const response = await rest(`budgets?owner_id=eq.${owner}`, { method: 'PATCH', prefer: 'handling=strict, max-affected=2', body: { currency: 'USD' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('preference-applied')).toBe('handling=strict, max-affected=2');
      const { data } = await service.from('budgets').select('currency').eq('owner_id', owner);
      expect(data).toEqual([{ currency: 'USD' }, { currency: 'USD' }]);
    });

    it('max-affected without handling=strict is ignored, as PostgREST documents: the delete goes through', async () => {
      const { owner } = await ownerWithBudgets('max-lenient', 2);
      const response = await rest(`budgets?owner_id=eq.${owner}`, { method: 'DELETE', prefer: 'max-affected=1' });
      expect(response.status).toBe(204);
      expect(response.headers.get('preference-applied')).toBeNull();
      expect(await namesOf(owner)).toEqual([]);
    });
  });

  describe('max-affected on functions', () => {
    it('a function returning more rows than max-affected fails with 400 PGRST124 and its changes are rolled back', async () => {
      const { owner } = await ownerWithBudgets('rpc-max', 2);
      const response = await rest(`rpc/${deleteBudgetsFn}`, { method: 'POST', prefer: 'handling=strict, max-affected=1', body: { owner } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'PGRST124', details: 'The query affects 2 rows' });
      expect(await namesOf(owner)).toEqual(['rpc-max-1', 'rpc-max-2']);
    });

    it('a function within max-affected runs and names it in Preference-Applied', async () => {
      const { owner } = await ownerWithBudgets('rpc-within', 2);
      const response = await rest(`rpc/${deleteBudgetsFn}?select=name`, { method: 'POST', prefer: 'handling=strict, max-affected=2', body: { owner } });
      expect(response.status).toBe(200);
      expect(response.headers.get('preference-applied')).toBe('handling=strict, max-affected=2');
      expect(await response.json()).toEqual(expect.arrayContaining([{ name: 'rpc-within-1' }, { name: 'rpc-within-2' }]));
      expect(await namesOf(owner)).toEqual([]);
    });

    it('max-affected on a function that returns one value (not SETOF) is refused with 400 PGRST128', async () => {
      const response = await rest(`rpc/${scalarFn}`, { method: 'POST', prefer: 'handling=strict, max-affected=1', body: {} });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 'PGRST128',
        message: 'Function must return SETOF or TABLE when max-affected preference is used with handling=strict',
        details: null,
        hint: null,
      });
    });
  });

  describe('handling', () => {
    it('handling=strict with unknown preferences answers 400 PGRST122 naming them, and inserts nothing', async () => {
      const { owner } = await ownerWithBudgets('strict', 0);
      const response = await rest('budgets', {
        method: 'POST',
        prefer: 'handling=strict, foo, bar=baz',
        body: { id: randomUUID(), owner_id: owner, name: 'strict', amount: '1.00', currency: 'EUR' },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 'PGRST122',
        message: 'Invalid preferences given with handling=strict',
        details: 'Invalid preferences: foo, bar=baz',
        hint: null,
      });
      expect(await namesOf(owner)).toEqual([]);
    });

    it('lenient handling (the default) ignores an unknown preference: the read answers 200 and does not name it', async () => {
      const { owner } = await ownerWithBudgets('lenient', 1);
      const response = await rest(`budgets?select=name&owner_id=eq.${owner}`, { prefer: 'foo, count=exact' });
      expect(response.status).toBe(200);
      expect(response.headers.get('preference-applied')).toBe('count=exact');
      expect(await response.json()).toEqual([{ name: 'lenient-1' }]);
    });

    it('handling=lenient named explicitly ignores it too and is itself named in Preference-Applied', async () => {
      const response = await rest(`budgets?select=id&id=eq.${randomUUID()}`, { prefer: 'handling=lenient, foo' });
      expect(response.status).toBe(200);
      expect(response.headers.get('preference-applied')).toBe('handling=lenient');
    });

    (process.env['DUALWRITE_NO_ENV_DEFAULTS'] === 'true' ? it.skip : it)(
      'a preference PostgREST has but supabase-local does not implement is refused even under lenient handling, naming it',
      async () => {
        const { owner } = await ownerWithBudgets('unimplemented', 1);
        const response = await rest(`budgets?select=created_at&owner_id=eq.${owner}`, { prefer: 'timezone=America/Los_Angeles' });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({
          code: 'PGRST122',
          message: 'Preferences not implemented by supabase-local',
          details: 'Not implemented: timezone=America/Los_Angeles',
        });
      },
    );
  });

  describe('upsert status', () => {
    it('an upsert that inserts a row answers 201', async () => {
      const { owner } = await ownerWithBudgets('upsert-insert', 0);
      const result = await service.from('budgets').upsert({ id: randomUUID(), owner_id: owner, name: 'upsert-insert-new', amount: '1.00', currency: 'EUR' });
      expect(result.error).toBeNull();
      expect(result.status).toBe(201);
      expect(await namesOf(owner)).toEqual(['upsert-insert-new']);
    });

    it('an upsert that only updates existing rows answers 200', async () => {
      const { owner, budgets } = await ownerWithBudgets('upsert-update', 2);
      const result = await service.from('budgets').upsert(budgets.map((budget) => ({ ...budget, name: `${budget.name}-merged` })));
      expect(result.error).toBeNull();
      expect(result.status).toBe(200);
      expect(await namesOf(owner)).toEqual(['upsert-update-1-merged', 'upsert-update-2-merged']);
    });

    it('an upsert that updates one row and inserts another answers 201', async () => {
      const { owner, budgets } = await ownerWithBudgets('upsert-mixed', 1);
      const fresh = { id: randomUUID(), owner_id: owner, name: 'upsert-mixed-new', amount: '9.00', currency: 'EUR' };
      const result = await service.from('budgets').upsert([{ ...budgets[0], name: 'upsert-mixed-merged' }, fresh]).select('name');
      expect(result.status).toBe(201);
      expect(result.data).toEqual([{ name: 'upsert-mixed-merged' }, { name: 'upsert-mixed-new' }]);
    });

    it('an upsert that only updates, with return=representation, answers 200 with the rows and names what it applied', async () => {
      const { budgets } = await ownerWithBudgets('upsert-header', 1);
      const response = await rest('budgets?select=name', {
        method: 'POST',
        prefer: 'resolution=merge-duplicates, return=representation',
        body: { ...budgets[0], name: 'upsert-header-merged' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('preference-applied')).toBe('resolution=merge-duplicates, return=representation');
      expect(await response.json()).toEqual([{ name: 'upsert-header-merged' }]);
    });

    it('ignore-duplicates over existing rows only answers 201, as PostgREST does (its 200 is for merge-duplicates)', async () => {
      const { owner, budgets } = await ownerWithBudgets('upsert-ignore', 1);
      const result = await service.from('budgets').upsert({ ...budgets[0], name: 'ignored' }, { ignoreDuplicates: true });
      expect(result.error).toBeNull();
      expect(result.status).toBe(201);
      expect(await namesOf(owner)).toEqual(['upsert-ignore-1']);
    });
  });
});
