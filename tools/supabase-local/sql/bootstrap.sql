-- What a Supabase project already has before its first migration, reproduced for the local
-- endpoint's database: the API roles, and auth.uid()/auth.role()/auth.jwt() reading the JWT claims
-- that the endpoint sets per transaction (request.jwt.claims), as PostgREST does.
-- Idempotent: run by `npm run setup` before the migrations of supabase/migrations.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- Supabase's API logs in as `authenticator`; here it only holds the API's default settings (nobody logs in as it).
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator nologin noinherit;
  end if;
end
$$;

-- Supabase's default statement timeouts for API requests: anon 3 s, authenticated 8 s, service_role none of its
-- own (the authenticator's 8 s). The local endpoint applies them per request as PostgREST does; alter them as on
-- Supabase (`alter role authenticator set statement_timeout = '15s'`). Set only where no value was chosen yet.
do $$
declare
  defaults constant jsonb := '{"anon": "3s", "authenticated": "8s", "authenticator": "8s"}';
  role_name text;
begin
  for role_name in select jsonb_object_keys(defaults) loop
    if not exists (
      select 1 from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
       where r.rolname = role_name and s.setdatabase = 0 and exists (select 1 from unnest(s.setconfig) entry where entry like 'statement_timeout=%')
    ) then
      execute format('alter role %I set statement_timeout = %L', role_name, defaults ->> role_name);
    end if;
  end loop;
end
$$;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant select, insert, update, delete on tables to anon, authenticated, service_role;
alter default privileges in schema public grant usage, select on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant execute on functions to anon, authenticated, service_role;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(auth.jwt() ->> 'role', current_user)
$$;

-- Where the local migration runner records applied files, like the Supabase CLI does.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  name text,
  statements text[]
);
