-- The process that claimed an operation (its id in dual_write_processes). An operation its process left
-- `pending` or `primary_done` when it stopped is taken over by the worker's sweep once that process has not
-- reported for the grace (DW_STOPPED_PROCESS_GRACE_MS), instead of after 10 minutes: a crashed api no longer keeps
-- the stores apart, and every flip of the primary refused, for that long. Null for operations claimed before this
-- column (and by hosts without a process registry): those keep the 10-minute rule. No index refers to it, so the
-- pending → primary_done move stays a HOT update.
alter table dual_write_ops add column claimed_by text;
