-- Fixture tables of the store contract suite (describeStoreContract in @dualwrite/stores/testing), so the
-- suite runs against tables of its own and never against the example domain. Not used by the application.
-- Same tables, columns and keys as store A (prisma/migrations/20261129000000_store_contract_fixtures), with
-- the row-level security, policies and grants the example tables get. To run the contract suite against a
-- real Supabase, apply this file (`supabase db push`, or psql against the project's DB URL).

create table if not exists public.contract_owners (
  id uuid primary key,
  email text not null unique,
  display_name text not null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);

create table if not exists public.contract_items (
  id uuid primary key,
  owner_id uuid not null references public.contract_owners (id) on delete cascade on update cascade,
  name text not null,
  amount numeric(14, 2) not null,
  currency char(3) not null,
  metadata jsonb not null default '{}',
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index if not exists contract_items_owner_id_idx on public.contract_items (owner_id);

create table if not exists public.contract_posts (
  id uuid primary key,
  author_id uuid not null references public.contract_owners (id) on delete cascade on update cascade,
  title text not null,
  body text not null,
  published boolean not null default false,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index if not exists contract_posts_author_id_idx on public.contract_posts (author_id);

create table if not exists public.contract_notes (
  id serial primary key,
  post_id uuid not null references public.contract_posts (id) on delete cascade on update cascade,
  author_id uuid not null references public.contract_owners (id) on delete cascade on update cascade,
  body text not null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index if not exists contract_notes_post_id_idx on public.contract_notes (post_id);

-- Row-level security, as on the example tables: owners see and change their own rows; service_role bypasses RLS.
alter table public.contract_owners enable row level security;
alter table public.contract_items enable row level security;
alter table public.contract_posts enable row level security;
alter table public.contract_notes enable row level security;

create policy contract_owners_owner_all on public.contract_owners
  for all to anon, authenticated
  using (id = auth.uid()) with check (id = auth.uid());
create policy contract_items_owner_all on public.contract_items
  for all to anon, authenticated
  using (owner_id = auth.uid()) with check (owner_id = auth.uid());
create policy contract_posts_owner_all on public.contract_posts
  for all to anon, authenticated
  using (author_id = auth.uid()) with check (author_id = auth.uid());
create policy contract_notes_owner_all on public.contract_notes
  for all to anon, authenticated
  using (author_id = auth.uid()) with check (author_id = auth.uid());

create policy contract_owners_service_role_all on public.contract_owners for all to service_role using (true) with check (true);
create policy contract_items_service_role_all on public.contract_items for all to service_role using (true) with check (true);
create policy contract_posts_service_role_all on public.contract_posts for all to service_role using (true) with check (true);
create policy contract_notes_service_role_all on public.contract_notes for all to service_role using (true) with check (true);

grant select, insert, update, delete on public.contract_owners, public.contract_items, public.contract_posts, public.contract_notes
  to anon, authenticated, service_role;
grant usage, select on sequence public.contract_notes_id_seq to anon, authenticated, service_role;
