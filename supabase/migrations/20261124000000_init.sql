-- Store B (Supabase) schema of the example domain. Same tables, columns and keys as store A
-- (prisma/migrations), so a row has the same primary key and the same values on both stores.
-- Applies to a real Supabase project (`supabase db push`) and to the local endpoint's database.

create table if not exists public.users (
  id uuid primary key,
  email text not null unique,
  display_name text not null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);

create table if not exists public.budgets (
  id uuid primary key,
  owner_id uuid not null references public.users (id) on delete cascade on update cascade,
  name text not null,
  amount numeric(14, 2) not null,
  currency char(3) not null,
  metadata jsonb not null default '{}',
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index if not exists budgets_owner_id_idx on public.budgets (owner_id);

create table if not exists public.posts (
  id uuid primary key,
  author_id uuid not null references public.users (id) on delete cascade on update cascade,
  title text not null,
  body text not null,
  published boolean not null default false,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index if not exists posts_author_id_idx on public.posts (author_id);

create table if not exists public.comments (
  id serial primary key,
  post_id uuid not null references public.posts (id) on delete cascade on update cascade,
  author_id uuid not null references public.users (id) on delete cascade on update cascade,
  body text not null,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index if not exists comments_post_id_idx on public.comments (post_id);

-- Row-level security: owners see and change their own rows; service_role bypasses RLS.
alter table public.users enable row level security;
alter table public.budgets enable row level security;
alter table public.posts enable row level security;
alter table public.comments enable row level security;

create policy users_owner_all on public.users
  for all to anon, authenticated
  using (id = auth.uid()) with check (id = auth.uid());
create policy budgets_owner_all on public.budgets
  for all to anon, authenticated
  using (owner_id = auth.uid()) with check (owner_id = auth.uid());
create policy posts_owner_all on public.posts
  for all to anon, authenticated
  using (author_id = auth.uid()) with check (author_id = auth.uid());
create policy comments_owner_all on public.comments
  for all to anon, authenticated
  using (author_id = auth.uid()) with check (author_id = auth.uid());

create policy users_service_role_all on public.users for all to service_role using (true) with check (true);
create policy budgets_service_role_all on public.budgets for all to service_role using (true) with check (true);
create policy posts_service_role_all on public.posts for all to service_role using (true) with check (true);
create policy comments_service_role_all on public.comments for all to service_role using (true) with check (true);

grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role;
grant usage, select on all sequences in schema public to anon, authenticated, service_role;
