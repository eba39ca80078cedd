-- Distributed reconcile and copy runs (libs/reconcile/src/runs): a run is a BullMQ flow (run -> entity -> segment jobs)
-- any number of workers execute; what each job did is recorded here, keyed by run, entity and segment, so a job
-- delivered again after its worker died is not counted twice. In the control database, next to reconcile_runs.
create table distributed_runs (
  run_id uuid primary key,
  kind text not null check (kind in ('reconcile', 'copy')),
  -- `all` or the entity names asked for, as given.
  selection text[] not null,
  status text not null check (status in ('running', 'completed', 'failed')),
  requested_by text not null,
  -- Reconcile: which store is primary (`a` or `b`) when the run began; copy: the source store (`a` or `b`).
  primary_side text not null check (primary_side in ('a', 'b')),
  options jsonb not null default '{}'::jsonb,
  -- The control database's clock when the run began: keys the ledger shows written since are re-checked.
  ledger_started_at timestamptz(6) not null,
  started_at timestamptz(3) not null default now(),
  finished_at timestamptz(3),
  error text
);
create index distributed_runs_started_at_idx on distributed_runs (started_at desc);

-- One run of a kind per entity at a time: a row per entity a running run holds, removed when the run finishes.
create table distributed_run_locks (
  kind text not null,
  entity text not null,
  run_id uuid not null references distributed_runs (run_id) on delete cascade,
  primary key (kind, entity)
);

create table distributed_run_entities (
  run_id uuid not null references distributed_runs (run_id) on delete cascade,
  entity text not null,
  position integer not null,
  -- pending: not planned; queued: its segments are planned and its jobs queued; completed / failed: finalised.
  status text not null check (status in ('pending', 'queued', 'completed', 'failed')),
  segments_total integer,
  rows_planned bigint,
  -- Copy: the dual_write_copy_runs run whose chunks are this entity's segments.
  copy_run_id uuid,
  -- The entity's result once finalised (reconcile: the report's entity part; copy: rows copied, keys left).
  result jsonb,
  error text,
  finished_at timestamptz(3),
  primary key (run_id, entity)
);

create table distributed_run_segments (
  run_id uuid not null,
  entity text not null,
  segment_no integer not null,
  -- Reconcile: the key range [from, to) as {"from": key, "to": key} (absent bound: open); copy: the chunk's keys.
  range jsonb not null,
  rows_planned bigint not null default 0,
  status text not null check (status in ('pending', 'done', 'failed')),
  -- Rows this segment covered (reconcile: the larger side's count; copy: rows copied).
  rows_covered bigint not null default 0,
  -- Reconcile: the differing keys found (to re-check), counts and work; copy: rows copied and deleted, keys left.
  result jsonb,
  error text,
  worker text,
  finished_at timestamptz(3),
  primary key (run_id, entity, segment_no),
  foreign key (run_id, entity) references distributed_run_entities (run_id, entity) on delete cascade
);
