-- The initial copy (libs/reconcile/src/copy, `npm run copy-data`): one run per entity and direction, split into
-- chunks of the source's key order, each chunk's completion recorded so a killed copy resumes at the first
-- unfinished chunk. Applied by `npm run setup` with the other control tables.
create table dual_write_copy_runs (
  run_id uuid primary key,
  entity text not null,
  source_store text not null,
  target_store text not null,
  status text not null check (status in ('running', 'completed', 'failed')),
  chunk_size integer not null check (chunk_size > 0),
  chunks_planned integer not null,
  rows_planned bigint not null,
  -- Keys the ledger shows written since this instant are synced again at the end (the copy's re-check).
  started_at timestamptz(3) not null,
  finished_at timestamptz(3),
  -- host:pid of the process that last ran it (named when a second copy of the entity is refused).
  owner text not null,
  rows_copied bigint not null default 0,
  rows_deleted bigint not null default 0,
  keys_left bigint not null default 0,
  keys_rechecked bigint not null default 0,
  error text
);
-- At most one unfinished run per entity and direction: that is the one a new copy resumes.
create unique index dual_write_copy_runs_open_idx on dual_write_copy_runs (entity, source_store, target_store) where status <> 'completed';
create index dual_write_copy_runs_entity_idx on dual_write_copy_runs (entity, started_at desc);

create table dual_write_copy_chunks (
  run_id uuid not null references dual_write_copy_runs (run_id) on delete cascade,
  chunk_no integer not null,
  -- Keys in (after_key, up_to_key] in the source's key order (int by value, uuid by bytes, text collate "C");
  -- null after_key: from the first key; null up_to_key: open (the last chunk takes keys written meanwhile).
  after_key text,
  up_to_key text,
  rows_planned integer not null,
  status text not null check (status in ('pending', 'done')),
  rows_copied integer,
  rows_deleted integer,
  keys_left integer,
  finished_at timestamptz(3),
  primary key (run_id, chunk_no)
);
