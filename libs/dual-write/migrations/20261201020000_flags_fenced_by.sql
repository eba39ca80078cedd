-- The process whose flip fences writes (its id in dual_write_processes), set with the fence. A fence whose process
-- has stopped reporting is lifted by the worker's sweep at its next round (the flags go back to the old roles)
-- instead of after 2 minutes: a crash mid-flip no longer refuses every write for that long. Lifting is safe
-- whatever that process does later: its own lift is conditional on the fenced version, which has moved on.
alter table dual_write_flags add column fenced_by text;
