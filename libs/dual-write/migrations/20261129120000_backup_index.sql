-- The index of backups (libs/backup/src/backups): one row per backup the platform started, whatever became of it.
-- The files and their manifest live in BACKUP_STORAGE_PATH; a backup counts only with status 'complete'.
create table dual_write_backups (
  id text primary key,
  kind text not null check (kind in ('full', 'incremental')),
  store text not null check (store in ('a', 'b')),
  parent_id text references dual_write_backups (id) on delete cascade,
  full_id text,
  status text not null check (status in ('running', 'complete', 'failed')),
  started_at timestamptz(3) not null default now(),
  finished_at timestamptz(3),
  snapshot_at timestamptz(6),
  schema_version text,
  schema_hash text,
  total_rows bigint,
  total_bytes bigint,
  error text,
  last_validated_at timestamptz(3),
  last_validation_ok boolean,
  last_drill_at timestamptz(3),
  last_drill_ok boolean,
  last_drill_ms integer
);
create index dual_write_backups_store_started_idx on dual_write_backups (store, started_at desc);
