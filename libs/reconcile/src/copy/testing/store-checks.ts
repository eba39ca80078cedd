import type { Pool } from 'pg';
import type { EntityDefinition } from '@dualwrite/stores';
import type { ScratchStores } from './scratch-stores';

/** Expects store B's checksum of the entity to equal store A's; returns the row count. */
export async function expectStoresEqual(stores: ScratchStores, entity: EntityDefinition): Promise<number> {
  const [a, b] = await Promise.all([stores.prisma.checksum(entity), stores.supabase.checksum(entity)]);
  expect(b).toEqual(a);
  return a.count;
}

/** The rows of `table` in the pool's database (-1 when the count came back empty). */
export async function countRows(pool: Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]?.n ?? -1;
}
