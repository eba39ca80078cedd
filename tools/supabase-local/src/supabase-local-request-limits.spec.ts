import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SupabaseClient } from '@supabase/supabase-js';
import { Client } from 'pg';
import { eventually, onDatabase, scratchDatabaseUrl } from '@dualwrite/testing';
import { startSupabaseLocal, type SupabaseLocal } from './server';
import { clientFor, signKey } from './spec-target';

const BOOTSTRAP_SQL = readFileSync(path.join(__dirname, '..', 'sql', 'bootstrap.sql'), 'utf8');

/**
 * Role settings on a database of the suite's own (`alter role … in database` touches no other database): a note is
 * inserted, then the function sleeps, so a cancelled request shows whether its write stayed.
 */
(process.env['DUALWRITE_NO_ENV_DEFAULTS'] === 'true' ? describe.skip : describe)('supabase-local bounds each request as PostgREST does: role settings, pool acquisition', () => {
  const database = `dw_supabase_local_role_settings_${process.pid}`;
  const jwtSecret = process.env['SUPABASE_JWT_SECRET'] ?? '';
  const sql = new Client({ connectionString: scratchDatabaseUrl(database) });
  let endpoint: SupabaseLocal;
  let clients: Record<'service_role' | 'anon' | 'authenticated', SupabaseClient>;

  beforeAll(async () => {
    await onDatabase('postgres', `drop database if exists "${database}" with (force)`);
    await onDatabase('postgres', `create database "${database}"`);
    await onDatabase(database, BOOTSTRAP_SQL);
    await onDatabase(
      database,
      `create table public.notes (id int primary key, body text not null);
       create function public.note_then_sleep(note_id int, body text, seconds float8) returns void
       language sql as $$ insert into public.notes values (note_id, body); select pg_sleep(seconds) $$;
       create function public.statement_timeout_now() returns text language sql as $$ select current_setting('statement_timeout') $$;`,
    );
    await sql.connect();
    endpoint = await startSupabaseLocal({ port: 0, databaseUrl: scratchDatabaseUrl(database), jwtSecret });
    clients = {
      service_role: clientFor(endpoint.url, signKey(jwtSecret, { role: 'service_role' })),
      anon: clientFor(endpoint.url, signKey(jwtSecret, { role: 'anon' })),
      authenticated: clientFor(endpoint.url, signKey(jwtSecret, { role: 'anon' }), {
        bearer: signKey(jwtSecret, { role: 'authenticated', sub: '00000000-0000-4000-8000-000000000001' }),
      }),
    };
  });

  afterEach(async () => {
    for (const role of ['authenticator', 'service_role', 'anon', 'authenticated']) await sql.query(`alter role ${role} in database "${database}" reset all`);
    await reloadedUntil('service_role', '8s');
  });

  afterAll(async () => {
    await endpoint?.close();
    await sql.end();
    await onDatabase('postgres', `drop database if exists "${database}" with (force)`);
  });

  async function statementTimeoutSeenBy(role: keyof typeof clients): Promise<unknown> {
    return (await clients[role].rpc('statement_timeout_now')).data;
  }

  /** `NOTIFY pgrst, 'reload config'`, as on Supabase after `alter role … set`, then waits until `role`'s requests see `expected`. */
  async function reloadedUntil(role: keyof typeof clients, expected: string): Promise<void> {
    await sql.query(`notify pgrst, 'reload config'`);
    await eventually(async () => ((await statementTimeoutSeenBy(role)) === expected ? true : undefined));
  }

  /** Whether a request is sleeping in note_then_sleep now (its insert is not committed yet). */
  async function noteIdsSeenInFlight(): Promise<boolean> {
    const { rows } = await sql.query(`select 1 from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and query like '%note_then_sleep%' and state = 'active'`, [database]);
    return rows.length > 0;
  }

  async function noteIds(): Promise<number[]> {
    return (await sql.query<{ id: number }>('select id from public.notes order by id')).rows.map((row) => row.id);
  }

  it('a request that waits longer than the acquisition timeout for a pool connection gets 504 PGRST003, as from PostgREST', async () => {
    const oneConnection = await startSupabaseLocal({ port: 0, databaseUrl: scratchDatabaseUrl(database), jwtSecret, pool: { size: 1, acquisitionTimeoutMs: 300 } });
    try {
      const client = clientFor(oneConnection.url, signKey(jwtSecret, { role: 'service_role' }));
      // A supabase-js query is sent once it is awaited or then'd.
      const holding = client.rpc('note_then_sleep', { note_id: 90, body: 'holds the only connection', seconds: 1 }).then((answer) => answer);
      await eventually(async () => ((await noteIdsSeenInFlight()) ? true : undefined));

      const waiting = await client.rpc('statement_timeout_now');

      expect(waiting.status).toBe(504);
      expect(waiting.error).toMatchObject({ code: 'PGRST003', message: 'Timed out acquiring connection from connection pool.' });
      expect((await holding).error).toBeNull();
      expect(await noteIds()).toContain(90);
    } finally {
      await oneConnection.close();
    }
  });

  it("bootstrap gives the API roles Supabase's default statement timeouts: anon 3 s, authenticated 8 s, the rest the authenticator's 8 s", async () => {
    const { rows } = await sql.query<{ rolname: string; setconfig: string[] }>(
      `select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
        where s.setdatabase = 0 and r.rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by r.rolname`,
    );
    expect(rows).toEqual([
      { rolname: 'anon', setconfig: ['statement_timeout=3s'] },
      { rolname: 'authenticated', setconfig: ['statement_timeout=8s'] },
      { rolname: 'authenticator', setconfig: ['statement_timeout=8s'] },
    ]);
    expect([await statementTimeoutSeenBy('anon'), await statementTimeoutSeenBy('authenticated'), await statementTimeoutSeenBy('service_role')]).toEqual(['3s', '8s', '8s']);
  });

  it("a changed role setting applies once the config reload is notified, not before", async () => {
    await sql.query(`alter role authenticator in database "${database}" set statement_timeout = '4s'`);
    expect(await statementTimeoutSeenBy('service_role')).toBe('8s');
    await reloadedUntil('service_role', '4s');
  });

  it("a service_role request running past the authenticator's statement_timeout is cancelled: 500 57014, its write rolled back", async () => {
    await sql.query(`alter role authenticator in database "${database}" set statement_timeout = '300ms'`);
    await reloadedUntil('service_role', '300ms');
    const result = await clients.service_role.rpc('note_then_sleep', { note_id: 1, body: 'too slow', seconds: 3 });
    expect(result.status).toBe(500);
    expect(result.error).toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
    expect(await noteIds()).not.toContain(1);
  });

  it('a request that ends within the timeout commits', async () => {
    const result = await clients.service_role.rpc('note_then_sleep', { note_id: 2, body: 'quick', seconds: 0.05 });
    expect(result.error).toBeNull();
    expect(await noteIds()).toContain(2);
  });

  it("the request's own role setting wins over the authenticator's", async () => {
    await sql.query(`alter role authenticator in database "${database}" set statement_timeout = '300ms'`);
    await sql.query(`alter role service_role in database "${database}" set statement_timeout = '10s'`);
    await reloadedUntil('service_role', '10s');
    const result = await clients.service_role.rpc('note_then_sleep', { note_id: 3, body: 'own timeout', seconds: 1 });
    expect(result.error).toBeNull();
    expect(await noteIds()).toContain(3);
  });

  it('a setting for this database wins over the same role setting for all databases (anon: 3 s for all, 300 ms here)', async () => {
    await sql.query(`alter role anon in database "${database}" set statement_timeout = '300ms'`);
    await reloadedUntil('anon', '300ms');
    const result = await clients.anon.rpc('note_then_sleep', { note_id: 4, body: 'anon too slow', seconds: 1 });
    expect(result.status).toBe(500);
    expect(result.error?.code).toBe('57014');
    expect(await noteIds()).not.toContain(4);
  });

  it('a role setting the role may not take (superuser only) fails the request naming it, and nothing is written', async () => {
    await sql.query(`alter role authenticated in database "${database}" set log_min_duration_statement = 0`);
    await sql.query(`notify pgrst, 'reload config'`);
    const result = await eventually(async () => {
      const answer = await clients.authenticated.rpc('note_then_sleep', { note_id: 5, body: 'never', seconds: 0 });
      return answer.error ? answer : (await sql.query('delete from public.notes where id = 5'), undefined);
    });
    expect(result.status).toBe(403);
    expect(result.error).toMatchObject({ code: '42501', message: 'permission denied to set parameter "log_min_duration_statement"' });
    expect(await noteIds()).not.toContain(5);
  });
});
