-- The ledger's key index (GIN over entity_ids) answers a per-key look-up on every sync (KeySync's check of a
-- create's key, the delete proof) and in reconcile, repair and verification. With fastupdate, GIN's default, new
-- entries wait in a pending list that every look-up scans in full until a vacuum merges it: under write load the
-- list grew to 73,000 entries and one look-up of a key took 117 ms. Entries now go straight into the index (about
-- the cost of a btree insert), so a look-up stays an index descent.
alter index dual_write_ops_keys_idx set (fastupdate = off);
select gin_clean_pending_list('dual_write_ops_keys_idx'::regclass);
