-- Every write moves its ledger row pending → primary_done (the caller waits for it) → applied. Each move wrote a
-- whole new version of the row plus an entry in every index, because the two "open operation" indexes named
-- `status` in their predicate and key: PostgreSQL cannot make an update HOT (same page, no index entries) when it
-- changes a column any index refers to. The indexes now refer to `open`, which pending → primary_done does not
-- change, and the table keeps half of each new page free, so that move is a HOT update: at 200 writes/s in mode 2
-- it writes no index entries (4 b-tree and 1 GIN fewer a write) and mode 2's WAL a write falls by about 30 %
-- (BENCHMARKS.md). The list below must stay the statuses of operation-transitions.ts's OPEN_STATUSES.
-- Adding a stored generated column rewrites the table once (it holds an exclusive lock while it does).
alter table dual_write_ops add column open boolean
  generated always as (status in ('pending', 'primary_done', 'secondary_pending', 'primary_unavailable', 'dead')) stored;
drop index if exists dual_write_ops_open_idx;
drop index if exists dual_write_ops_flag_version_open_idx;
create index dual_write_ops_open_idx on dual_write_ops (created_at) where open;
create index dual_write_ops_flag_version_open_idx on dual_write_ops (flag_version) where open;
alter table dual_write_ops set (fillfactor = 50);
