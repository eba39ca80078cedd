import type { Pool } from 'pg';

/**
 * `writes` ledger rows of dual writes with `primaryStore` as primary, each with a path latency of `latencyMs`,
 * claimed `age` ago (an interval): what PrimaryLatency reads as the primary's write p95 in a window.
 */
export async function writeLatencyProbe(control: Pool, probe: { latencyMs: number; age: string; writes: number; primaryStore: string }): Promise<void> {
  await control.query(
    `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, mode, path_latency_ms, created_at)
     select gen_random_uuid(), 'latency_probe', 'update', '{}', '{}', $4, 'supabase', 'applied', 'dual-primary-a', $1, now() - $2::interval
       from generate_series(1, $3::int)`,
    [probe.latencyMs, probe.age, probe.writes, probe.primaryStore],
  );
}
