-- The write protocol of libs/dual-write/PROTOCOL.md: ledger statuses of the state machine
-- (libs/dual-write/src/ledger/operation-transitions.ts), the flag version each operation was claimed under,
-- an order of claims, fenced flag flips, and the processes that confirm which flags they use.

alter table dual_write_ops drop constraint dual_write_ops_status_check;
update dual_write_ops set status = 'rejected' where status = 'primary_failed';
alter table dual_write_ops add constraint dual_write_ops_status_check check (status in (
  'pending', 'primary_done', 'applied', 'secondary_pending', 'dead', 'rejected', 'primary_unavailable', 'abandoned'
));

-- The flag version the operation was planned and claimed under (null on rows written before this migration).
alter table dual_write_ops add column flag_version integer;
-- Claim order: the newest operation on a key decides whether a row missing on the primary was deleted.
alter table dual_write_ops add column seq bigint generated always as identity;
create index dual_write_ops_keys_idx on dual_write_ops using gin (entity_ids);
create index dual_write_ops_flag_version_open_idx on dual_write_ops (flag_version)
  where status in ('pending', 'primary_done', 'secondary_pending', 'primary_unavailable', 'dead');
drop index if exists dual_write_ops_open_idx;
create index dual_write_ops_open_idx on dual_write_ops (status, created_at)
  where status in ('pending', 'primary_done', 'secondary_pending', 'primary_unavailable', 'dead');

-- A fenced version takes no new writes: a flip that changes the primary holds writes until the operations
-- claimed under older versions have settled and every live process confirmed the new version.
alter table dual_write_flags add column fenced boolean not null default false;

-- Every process using the flags says every second which version it acts on.
create table dual_write_processes (
  process_id text primary key,
  kind text not null,
  flag_version integer not null,
  seen_at timestamptz(3) not null default now()
);
