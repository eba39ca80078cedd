-- Repairs of reconcile findings (compensate-data, libs/reconcile/src/repair): one row per applied repair and one per
-- key it looked at, with what it planned, what happened and why. In the control database, next to reconcile_runs.
create table repair_runs (
  repair_id uuid primary key,
  -- The reconcile run the findings came from (its report file, or reconcile_findings), and the file when one was given.
  report_run_id uuid not null,
  report_file text,
  primary_store text not null,
  secondary_store text not null,
  status text not null check (status in ('running', 'completed', 'failed')),
  requested_by text not null,
  started_at timestamptz(3) not null default now(),
  finished_at timestamptz(3),
  -- Counts per action and outcome, and the keys left after the re-check.
  summary jsonb not null default '{}'::jsonb,
  error text
);
create index repair_runs_started_at_idx on repair_runs (started_at desc);

create table repair_actions (
  id bigserial primary key,
  repair_id uuid not null references repair_runs (repair_id) on delete cascade,
  entity text not null,
  entity_id text not null,
  -- What the plan said: copy the primary's row, delete (the ledger proves it), leave (no proof), skip, nothing to do.
  action text not null check (action in ('copy', 'delete', 'leave', 'skip_changed', 'skip_written', 'nothing')),
  -- What happened: copied, deleted, left, skipped, nothing, failed.
  outcome text not null check (outcome in ('copied', 'deleted', 'left', 'skipped', 'nothing', 'failed')),
  detail text not null,
  reason text,
  -- Whether the key still differs after the repair's re-check.
  still_differs boolean not null,
  created_at timestamptz(3) not null default now()
);
create index repair_actions_repair_idx on repair_actions (repair_id, entity);
create index repair_actions_key_idx on repair_actions (entity, entity_id);
