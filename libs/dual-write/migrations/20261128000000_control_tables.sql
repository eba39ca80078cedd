-- Control tables of the dual-write platform, in the control database (PRIMARY_DATABASE_URL by default).
-- Applied by `npm run setup` (SqlMigrationRunner 'platform'), recorded in dual_write_schema_migrations.

-- The phase flags: one row, versioned for optimistic concurrency.
create table dual_write_flags (
  id smallint primary key default 1 check (id = 1),
  enable_dual_write boolean not null default false,
  enable_supabase_primary boolean not null default false,
  version integer not null default 1,
  updated_at timestamptz(3) not null default now(),
  updated_by text not null default 'setup',
  reason text not null default 'initial state: phase 1, store A only'
);
insert into dual_write_flags (id) values (1);

-- One row per change: who, when, why, before and after.
create table dual_write_flag_history (
  id bigserial primary key,
  changed_at timestamptz(3) not null default now(),
  changed_by text not null,
  source text not null check (source in ('api', 'cli', 'auto-rollback')),
  reason text not null check (length(trim(reason)) > 0),
  before jsonb not null,
  after jsonb not null
);
create index dual_write_flag_history_changed_at_idx on dual_write_flag_history (changed_at desc);

-- The operation ledger: every logical write, keyed by its opId, so a retry or replay applies it once.
create table dual_write_ops (
  op_id uuid primary key,
  entity text not null,
  operation text not null check (operation in ('create', 'update', 'upsert', 'delete', 'batch')),
  entity_ids text[] not null default '{}',
  payload jsonb not null,
  primary_store text not null,
  secondary_store text,
  status text not null check (status in ('pending', 'applied', 'primary_failed', 'secondary_pending', 'dead')),
  -- The primary's answer, returned again when the same opId is retried.
  result jsonb,
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index dual_write_ops_open_idx on dual_write_ops (status, created_at) where status in ('pending', 'secondary_pending', 'dead');

-- Differences seen between the stores (shadow reads, write results, reconciliation).
create table dual_write_diffs (
  id bigserial primary key,
  -- Assigned where the difference is seen, so a diff delivered twice by the queue is stored once.
  diff_id uuid not null unique,
  api_endpoint text not null,
  entity text not null,
  entity_id text,
  operation text not null,
  severity text not null check (severity in ('info', 'warning', 'error')),
  diff jsonb not null,
  primary_store text not null,
  secondary_store text not null,
  primary_latency_ms integer,
  secondary_latency_ms integer,
  resolved_at timestamptz(3),
  created_at timestamptz(3) not null default now()
);
create index dual_write_diffs_created_at_idx on dual_write_diffs (created_at desc);
create index dual_write_diffs_severity_idx on dual_write_diffs (severity, created_at desc);
