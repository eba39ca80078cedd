-- What the alert rules and the auto-rollback guard read about each write: the mode it ran in, each store's
-- outcome and latency, and the latency the caller saw (the primary path). Written by the engine when it marks
-- an operation; null on rows written before this migration.
alter table dual_write_ops
  add column mode text,
  add column primary_outcome text check (primary_outcome in ('ok', 'failed', 'timeout', 'skipped', 'compensated')),
  add column secondary_outcome text check (secondary_outcome in ('ok', 'failed', 'timeout', 'skipped', 'compensated')),
  add column primary_latency_ms integer,
  add column secondary_latency_ms integer,
  add column path_latency_ms integer;

-- The rules look at one mode's recent operations (error rates over minutes, p95 per phase).
create index dual_write_ops_mode_created_at_idx on dual_write_ops (mode, created_at desc);

-- Unresolved error diffs are counted every minute.
create index dual_write_diffs_unresolved_error_idx on dual_write_diffs (created_at) where severity = 'error' and resolved_at is null;
