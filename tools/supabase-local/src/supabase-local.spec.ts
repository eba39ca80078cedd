import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import { Client } from 'pg';
import { createRunData, deleteRunData, type RunData } from './spec-data';
import { clientFor, startSpecTarget, type SpecTarget } from './spec-target';

describe('supabase-local /rest/v1 (PostgREST behaviour through supabase-js, service role)', () => {
  let target: SpecTarget;
  let service: SupabaseClient;
  let data: RunData;
  const rpcName = `supabase_local_spec_${randomUUID().slice(0, 8)}`;
  const rpcRowsName = `${rpcName}_rows`;

  const budgetsOfRun = () => service.from('budgets').select('id,name,amount::text').in('owner_id', [data.ownerA, data.ownerB]);

  beforeAll(async () => {
    target = await startSpecTarget();
    service = clientFor(target.url, target.serviceRoleKey);
    data = await createRunData(service);
    const sql = new Client({ connectionString: target.databaseUrl });
    await sql.connect();
    try {
      await sql.query(`create function public.${rpcName}(a integer, b integer default 1) returns integer language sql as 'select a + b'`);
      await sql.query(
        `create function public.${rpcRowsName}(owner uuid) returns setof public.budgets language sql stable as 'select * from public.budgets where owner_id = owner'`,
      );
      await sql.query(`notify pgrst, 'reload schema'`);
    } finally {
      await sql.end();
    }
    // A real PostgREST reloads its schema cache asynchronously; the local endpoint reads the catalog per request.
    for (let attempt = 0; !target.local && attempt < 40; attempt++) {
      if ((await service.rpc(rpcName, { a: 1 })).error?.code !== 'PGRST202') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  afterAll(async () => {
    await deleteRunData(service, data);
    const sql = new Client({ connectionString: target.databaseUrl });
    await sql.connect();
    await sql.query(`drop function if exists public.${rpcName}(integer, integer); drop function if exists public.${rpcRowsName}(uuid)`);
    await sql.end();
    await target.close();
  });

  it('answers GET /rest/v1/ (the store ping) with 200', async () => {
    const response = await fetch(`${target.url}/rest/v1/`, { headers: { apikey: target.serviceRoleKey, Authorization: `Bearer ${target.serviceRoleKey}` } });
    await response.body?.cancel();
    expect(response.status).toBe(200);
  });

  it('selects a column list with a cast: amount::text arrives as the exact string under its column name', async () => {
    const { data: row, error } = await service.from('budgets').select('id,amount::text,currency').eq('id', data.budgetsA[1]?.id).single();
    expect(error).toBeNull();
    expect(row).toEqual({ id: data.budgetsA[1]?.id, amount: '20.50', currency: 'EUR' });
  });

  it('filters with eq', async () => {
    const { data: rows } = await budgetsOfRun().eq('owner_id', data.ownerA).order('amount');
    expect(rows?.map((row) => row.name)).toEqual(data.budgetsA.map((budget) => budget.name));
  });

  it('filters with neq', async () => {
    const { data: rows } = await budgetsOfRun().neq('owner_id', data.ownerA);
    expect(rows?.map((row) => row.id)).toEqual([data.budgetB]);
  });

  it('filters with gt and lt', async () => {
    const { data: rows } = await budgetsOfRun().gt('amount', 10).lt('amount', 30.25);
    expect(rows?.map((row) => row.amount)).toEqual(['20.50']);
  });

  it('filters with gte and lte', async () => {
    const { data: rows } = await budgetsOfRun().gte('amount', 20.5).lte('amount', 30.25).order('amount');
    expect(rows?.map((row) => row.amount)).toEqual(['20.50', '30.25']);
  });

  it('filters with in', async () => {
    const wanted = [data.budgetsA[0]?.id, data.budgetB];
    const { data: rows } = await service.from('budgets').select('id').in('id', wanted).order('id');
    expect(rows?.map((row) => row.id)).toEqual([...wanted].sort());
  });

  it('filters with is true / is false', async () => {
    const published = await service.from('posts').select('id').eq('author_id', data.ownerA).is('published', true);
    const drafts = await service.from('posts').select('id').eq('author_id', data.ownerA).is('published', false);
    expect(published.data).toEqual([{ id: data.publishedPostA }]);
    expect(drafts.data).toEqual([{ id: data.draftPostA }]);
  });

  it('filters with is null and not.is.null', async () => {
    const none = await budgetsOfRun().is('name', null);
    const all = await budgetsOfRun().not('name', 'is', null);
    expect(none.data).toEqual([]);
    expect(all.data).toHaveLength(4);
  });

  it('orders descending with nulls last', async () => {
    const { data: rows } = await budgetsOfRun().eq('owner_id', data.ownerA).order('amount', { ascending: false, nullsFirst: false });
    expect(rows?.map((row) => row.amount)).toEqual(['30.25', '20.50', '10.00']);
  });

  it('pages with limit and offset (range)', async () => {
    const { data: rows } = await budgetsOfRun().eq('owner_id', data.ownerA).order('amount').range(1, 2);
    expect(rows?.map((row) => row.amount)).toEqual(['20.50', '30.25']);
  });

  it('pages with the Range header and reports the Content-Range', async () => {
    const url = `${target.url}/rest/v1/budgets?select=amount::text&owner_id=eq.${data.ownerA}&order=amount.asc`;
    const response = await fetch(url, { headers: { apikey: target.serviceRoleKey, Authorization: `Bearer ${target.serviceRoleKey}`, Range: '0-1' } });
    expect(await response.json()).toEqual([{ amount: '10.00' }, { amount: '20.50' }]);
    expect(response.headers.get('content-range')).toBe('0-1/*');
  });

  it('counts exactly with a HEAD request (count=exact, head) from the Content-Range total', async () => {
    const result = await service.from('budgets').select('*', { count: 'exact', head: true }).eq('owner_id', data.ownerA);
    expect(result.error).toBeNull();
    expect(result.count).toBe(3);
    expect(result.data).toBeNull();
  });

  it('answers 206 Partial Content when a counted read returns part of the rows', async () => {
    const counted = await service.from('budgets').select('id', { count: 'exact' }).eq('owner_id', data.ownerA).order('amount').limit(1);
    expect(counted.status).toBe(206);
    expect(counted.count).toBe(3);
    expect(counted.data).toEqual([{ id: data.budgetsA[0]?.id }]);
  });

  it('maybeSingle on no row gives null without an error', async () => {
    const result = await service.from('budgets').select('id').eq('id', randomUUID()).maybeSingle();
    expect(result.error).toBeNull();
    expect(result.data).toBeNull();
  });

  it('single on no row fails with PGRST116 and 406', async () => {
    const result = await service.from('budgets').select('id').eq('id', randomUUID()).single();
    expect(result.status).toBe(406);
    expect(result.error?.code).toBe('PGRST116');
  });

  it('inserts and returns the representation (201)', async () => {
    const id = randomUUID();
    const result = await service
      .from('budgets')
      .insert({ id, owner_id: data.ownerA, name: `inserted-${data.tag}`, amount: '5.55', currency: 'EUR' })
      .select('id,amount::text,metadata')
      .single();
    expect(result.status).toBe(201);
    expect(result.data).toEqual({ id, amount: '5.55', metadata: {} });
    await service.from('budgets').delete().eq('id', id);
  });

  it('inserts with return=minimal: 201 and no body', async () => {
    const id = randomUUID();
    const result = await service.from('budgets').insert({ id, owner_id: data.ownerA, name: `minimal-${data.tag}`, amount: 1, currency: 'EUR' });
    expect(result.status).toBe(201);
    expect(result.data).toBeNull();
    expect((await service.from('budgets').select('id').eq('id', id)).data).toEqual([{ id }]);
    await service.from('budgets').delete().eq('id', id);
  });

  it('bulk upserts with columns and missing=default: an omitted column takes its default, not NULL', async () => {
    const [withMetadata, withoutMetadata] = [randomUUID(), randomUUID()];
    const result = await service.from('budgets').upsert(
      [
        { id: withMetadata, owner_id: data.ownerA, name: `bulk-1-${data.tag}`, amount: '1.00', currency: 'EUR', metadata: { k: 1 } },
        { id: withoutMetadata, owner_id: data.ownerA, name: `bulk-2-${data.tag}`, amount: '2.00', currency: 'EUR' },
      ],
      { onConflict: 'id', defaultToNull: false },
    );
    expect(result.error).toBeNull();
    const { data: rows } = await service.from('budgets').select('id,metadata').in('id', [withMetadata, withoutMetadata]);
    expect(rows).toEqual(expect.arrayContaining([{ id: withMetadata, metadata: { k: 1 } }, { id: withoutMetadata, metadata: {} }]));
    await service.from('budgets').delete().in('id', [withMetadata, withoutMetadata]);
  });

  it('upserts with resolution=merge-duplicates: the existing row takes the new values', async () => {
    const budget = data.budgetsA[2] as RunData['budgetsA'][number];
    const result = await service
      .from('budgets')
      .upsert({ id: budget.id, owner_id: data.ownerA, name: `merged-${data.tag}`, amount: budget.amount, currency: 'EUR' }, { onConflict: 'id' })
      .select('id,name')
      .single();
    expect(result.error).toBeNull();
    expect(result.data).toEqual({ id: budget.id, name: `merged-${data.tag}` });
    await service.from('budgets').update({ name: budget.name }).eq('id', budget.id);
  });

  it('upserts with resolution=ignore-duplicates: the existing row stays, the new one is inserted', async () => {
    const existing = data.budgetsA[0] as RunData['budgetsA'][number];
    const fresh = randomUUID();
    const result = await service
      .from('budgets')
      .upsert(
        [
          { id: existing.id, owner_id: data.ownerA, name: 'ignored', amount: '0.00', currency: 'EUR' },
          { id: fresh, owner_id: data.ownerA, name: `fresh-${data.tag}`, amount: '0.00', currency: 'EUR' },
        ],
        { onConflict: 'id', ignoreDuplicates: true },
      )
      .select('id');
    expect(result.data).toEqual([{ id: fresh }]);
    expect((await service.from('budgets').select('name').eq('id', existing.id).single()).data).toEqual({ name: existing.name });
    await service.from('budgets').delete().eq('id', fresh);
  });

  it('updates (PATCH) and returns the changed row', async () => {
    const budget = data.budgetsA[1] as RunData['budgetsA'][number];
    const result = await service.from('budgets').update({ metadata: { patched: true } }).eq('id', budget.id).select('id,metadata').single();
    expect(result.status).toBe(200);
    expect(result.data).toEqual({ id: budget.id, metadata: { patched: true } });
  });

  it('updates with return=minimal: 204 and no body', async () => {
    const result = await service.from('posts').update({ body: 'patched' }).eq('id', data.draftPostA);
    expect(result.status).toBe(204);
    expect(result.data).toBeNull();
  });

  it('deletes and returns the deleted row', async () => {
    const id = randomUUID();
    await service.from('budgets').insert({ id, owner_id: data.ownerA, name: `to-delete-${data.tag}`, amount: 1, currency: 'EUR' });
    const result = await service.from('budgets').delete().eq('id', id).select('id').single();
    expect(result.data).toEqual({ id });
    expect((await service.from('budgets').select('id').eq('id', id)).data).toEqual([]);
  });

  it('rolls a singular mutation back when it touches more than one row (406 PGRST116)', async () => {
    const ids = data.budgetsA.map((budget) => budget.id);
    const result = await service.from('budgets').delete().in('id', ids).select('id').single();
    expect(result.status).toBe(406);
    expect(result.error?.code).toBe('PGRST116');
    expect((await service.from('budgets').select('id').in('id', ids)).data).toHaveLength(3);
  });

  it('calls a scalar function with named arguments (POST /rpc/<fn>), defaults filling the rest', async () => {
    expect((await service.rpc(rpcName, { a: 2, b: 3 })).data).toBe(5);
    expect((await service.rpc(rpcName, { a: 41 })).data).toBe(42);
  });

  it('calls a set-returning function with select, filters and order on its rows', async () => {
    const result = await service.rpc(rpcRowsName, { owner: data.ownerA }).select('amount::text').gt('amount', 10).order('amount', { ascending: false });
    expect(result.error).toBeNull();
    expect(result.data).toEqual([{ amount: '30.25' }, { amount: '20.50' }]);
  });

  it('answers an unknown function with 404 PGRST202', async () => {
    const result = await service.rpc(`${rpcName}_missing`, { a: 1 });
    expect(result.status).toBe(404);
    expect(result.error?.code).toBe('PGRST202');
  });

  it('a unique violation is 23505 with 409', async () => {
    const result = await service.from('users').insert({ id: randomUUID(), email: `a-${data.tag}@spec.local`, display_name: 'dup' });
    expect(result.status).toBe(409);
    expect(result.error?.code).toBe('23505');
  });

  it('a foreign key violation is 23503 with 409', async () => {
    const result = await service.from('budgets').insert({ id: randomUUID(), owner_id: randomUUID(), name: 'orphan', amount: 1, currency: 'EUR' });
    expect(result.status).toBe(409);
    expect(result.error?.code).toBe('23503');
  });

  it('a not-null violation is 23502 with 400', async () => {
    const result = await service.from('budgets').insert({ id: randomUUID(), owner_id: data.ownerA, name: null, amount: 1, currency: 'EUR' });
    expect(result.status).toBe(400);
    expect(result.error?.code).toBe('23502');
  });

  it('a missing table is 404 (42P01 here; PostgREST 12+ says PGRST205)', async () => {
    const result = await service.from(`missing_${data.tag}`).select('*');
    expect(result.status).toBe(404);
    expect(target.local ? ['42P01'] : ['42P01', 'PGRST205']).toContain(result.error?.code);
  });

  it('an unknown column is 400 (42703)', async () => {
    const result = await service.from('budgets').select('nope').limit(1);
    expect(result.status).toBe(400);
    expect(result.error?.code).toBe('42703');
  });

  it('a column name that is not a plain identifier is rejected with 400, never reaching SQL', async () => {
    const result = await service.from('budgets').select('id').eq('id"; drop table budgets; --', 'x');
    expect(result.status).toBe(400);
    if (target.local) expect(result.error?.code).toBe('PGRST100');
    expect((await service.from('budgets').select('id', { count: 'exact', head: true }).eq('owner_id', data.ownerA)).count).toBe(3);
  });

  it('filter values travel as bind values: a quote in a value is just data', async () => {
    const result = await service.from('budgets').select('id').eq('name', "x' or '1'='1");
    expect(result.error).toBeNull();
    expect(result.data).toEqual([]);
  });

  it('a malformed uuid value is 22P02 with 400', async () => {
    const result = await service.from('budgets').select('id').eq('id', 'not-a-uuid');
    expect(result.status).toBe(400);
    expect(result.error?.code).toBe('22P02');
  });

  it('a schema outside the exposed ones (Accept-Profile) is 406 PGRST106', async () => {
    const result = await clientFor(target.url, target.serviceRoleKey, { schema: 'not_exposed' }).from('budgets').select('id').limit(1);
    expect(result.status).toBe(406);
    expect(result.error?.code).toBe('PGRST106');
  });
});
