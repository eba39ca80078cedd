import type { Pool } from 'pg';

/** Runs `work` with the control database's flags naming store B the primary (phase 4), then puts back what was there. */
export async function withStoreBPrimary<T>(control: Pool, work: () => Promise<T>): Promise<T> {
  const { rows } = await control.query<{ enable_dual_write: boolean; enable_supabase_primary: boolean }>(
    'select enable_dual_write, enable_supabase_primary from dual_write_flags where id = 1',
  );
  const before = rows[0];
  await control.query('update dual_write_flags set enable_dual_write = false, enable_supabase_primary = true, version = version + 1 where id = 1');
  try {
    return await work();
  } finally {
    await control.query('update dual_write_flags set enable_dual_write = $1, enable_supabase_primary = $2, version = version + 1 where id = 1', [
      before?.enable_dual_write ?? false,
      before?.enable_supabase_primary ?? false,
    ]);
  }
}
