-- A distributed copy's pace (libs/reconcile/src/runs/run-pace.ts), shared by its chunk jobs whatever the number of
-- workers: each chunk reserves rows / (rate × speed_factor) seconds after paced_until and starts when its slot ends;
-- speed_factor is the back-off (halved while the primary's write p95 is up, doubled back), looked at by one chunk
-- job at a time (speed_checked_at) against speed_baseline (the p95 before the run, or the first busy window).
alter table distributed_runs
  add column paced_until timestamptz(6),
  add column speed_factor float8 not null default 1,
  add column speed_checked_at timestamptz(6),
  add column speed_baseline jsonb;
