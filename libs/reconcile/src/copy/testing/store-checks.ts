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

/**
 * Two budgets only store B holds (owned by `ownerId`), the second with the ledger's proof of its delete on store A
 * (its newest write there is a delete): a copy must delete that one and leave the first, reporting it.
 */
export async function plantTargetOnlyBudgets(stores: ScratchStores, ownerId: string): Promise<[string, string]> {
  const orphans: [string, string] = ['0f000000-0000-4000-8000-000000000001', '0f000000-0000-4000-8000-000000000002'];
  for (const id of orphans) {
    await stores.poolB.query("insert into budgets (id, owner_id, name, amount, currency) values ($1, $2, 'only on B', 1, 'EUR')", [id, ownerId]);
  }
  await stores.control.query(
    `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, mode, flag_version)
     values (gen_random_uuid(), 'budgets', 'delete', array[$1], '{}', 'prisma', 'supabase', 'applied', 'dual-primary-a', 1)`,
    [orphans[1]],
  );
  return orphans;
}
