-- Backups (the keys deleted since the previous one) and the backfill gap read the ledger's delete and batch
-- operations of an entity since a time. With no index leading with those, each read scanned the whole ledger: 138 ms
-- and about 780 MB for 517,000 operations on the dev box, seconds and gigabytes for millions. Only delete and batch
-- operations get an entry here, so creates and updates write none, and the pending → primary_done move stays a HOT
-- update (neither column changes after the claim). Built without CONCURRENTLY (migrations run in a transaction):
-- writes wait while it is built, for about as long as one such scan.
create index dual_write_ops_deletes_idx on dual_write_ops (entity, created_at) where operation in ('delete', 'batch');
