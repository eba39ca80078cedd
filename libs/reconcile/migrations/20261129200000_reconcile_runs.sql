-- Reconciliation runs and what they found (libs/reconcile). In the control database, next to the ledger.
create table reconcile_runs (
  run_id uuid primary key,
  -- `all` or the entity names asked for, as given.
  selection text[] not null,
  status text not null check (status in ('running', 'completed', 'failed')),
  started_at timestamptz(3) not null,
  finished_at timestamptz(3),
  duration_ms integer,
  findings integer not null default 0,
  -- Per entity: counts, missing keys both ways, severity summary, work done, duration (the report's entity part).
  summary jsonb not null default '{}'::jsonb
);
create index reconcile_runs_started_at_idx on reconcile_runs (started_at desc);

create table reconcile_findings (
  id bigserial primary key,
  run_id uuid not null references reconcile_runs (run_id) on delete cascade,
  entity text not null,
  entity_id text not null,
  kind text not null check (kind in ('changed', 'missing_in_secondary', 'missing_in_primary', 'type')),
  -- Null when a whole row is missing.
  field text,
  primary_value jsonb,
  secondary_value jsonb,
  severity text not null check (severity in ('info', 'warning', 'error')),
  ledger text not null check (ledger in ('quiet', 'settled', 'unsettled')),
  created_at timestamptz(3) not null default now()
);
create index reconcile_findings_run_idx on reconcile_findings (run_id, entity);
create index reconcile_findings_key_idx on reconcile_findings (entity, entity_id);
