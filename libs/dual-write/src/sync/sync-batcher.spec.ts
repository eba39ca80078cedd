import { v7 as uuidv7 } from 'uuid';
import { budgetsEntity } from '@dualwrite/example-domain';
import type { EntityDefinition, Row, RowKey, StorePlugin } from '@dualwrite/stores';
import { exampleTestDomain } from '@dualwrite/testing';
import { EngineTestKit } from '../../test/engine-test-kit';
import { KeySync, type SyncReport } from './key-sync';
import { SyncBatcher, defaultSyncGatherMs } from './sync-batcher';

/** A KeySync that counts its syncs and the keys each carried. */
class CountingKeySync extends KeySync {
  readonly batches: number[] = [];

  override async sync(entity: EntityDefinition, keys: RowKey[], source: StorePlugin, target: StorePlugin): Promise<SyncReport> {
    this.batches.push(keys.length);
    return super.sync(entity, keys, source, target);
  }
}

describe('SyncBatcher: group commit for syncs (real stores)', () => {
  const kit = new EngineTestKit(exampleTestDomain);

  beforeAll(() => kit.start('dw_control_sync_batcher_spec'));
  afterAll(() => kit.stop());

  async function rowsOnlyOnA(count: number): Promise<Row[]> {
    const ownerId = await kit.owner();
    const rows: Row[] = [];
    for (let index = 0; index < count; index += 1) rows.push(await kit.prisma.insert(budgetsEntity, kit.budget(ownerId, { id: uuidv7(), name: `row ${index}` })));
    return rows;
  }

  it('a lone sync goes out at once, on its own', async () => {
    const counting = new CountingKeySync({ pool: kit.pool, ledger: kit.ledger });
    const [row] = await rowsOnlyOnA(1);

    const report = await new SyncBatcher(counting).sync(budgetsEntity, [String(row?.['id'])], kit.prisma, kit.supabase);

    expect(counting.batches).toEqual([1]);
    expect(report.copied.map((copied) => copied.key)).toEqual([row?.['id']]);
  });

  it('twenty concurrent syncs leave in fewer syncs, and each caller gets its own key', async () => {
    const counting = new CountingKeySync({ pool: kit.pool, ledger: kit.ledger });
    const batcher = new SyncBatcher(counting);
    const rows = await rowsOnlyOnA(20);

    const reports = await Promise.all(rows.map((row) => batcher.sync(budgetsEntity, [String(row['id'])], kit.prisma, kit.supabase)));

    expect(counting.batches.length).toBeLessThan(20);
    expect(counting.batches.reduce((sum, size) => sum + size, 0)).toBe(20);
    expect(reports.map((report) => report.copied.map((copied) => copied.key))).toEqual(rows.map((row) => [row['id']]));
    await expect(kit.supabase.findManyByIds(budgetsEntity, rows.map((row) => String(row['id'])))).resolves.toHaveLength(20);
  });

  it('with a gathering window, writes that arrive one after another within it share one sync', async () => {
    const counting = new CountingKeySync({ pool: kit.pool, ledger: kit.ledger });
    const batcher = new SyncBatcher(counting, { gatherMs: 200 });
    const rows = await rowsOnlyOnA(3);

    const pending: Promise<SyncReport>[] = [];
    for (const row of rows) {
      pending.push(batcher.sync(budgetsEntity, [String(row['id'])], kit.prisma, kit.supabase));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const reports = await Promise.all(pending);

    expect(counting.batches).toEqual([3]);
    expect(reports.map((report) => report.copied.map((copied) => copied.key))).toEqual(rows.map((row) => [row['id']]));
  });

  it('without a gathering window, a write that arrives after the previous sync left goes in a sync of its own', async () => {
    const counting = new CountingKeySync({ pool: kit.pool, ledger: kit.ledger });
    const batcher = new SyncBatcher(counting);
    const rows = await rowsOnlyOnA(2);

    for (const row of rows) await batcher.sync(budgetsEntity, [String(row['id'])], kit.prisma, kit.supabase);

    expect(counting.batches).toEqual([1, 1]);
  });

  it('two callers of one key in the same batch both get it, and the key is synced once', async () => {
    const counting = new CountingKeySync({ pool: kit.pool, ledger: kit.ledger });
    const batcher = new SyncBatcher(counting);
    const [first, second] = await rowsOnlyOnA(2);
    const key = String(first?.['id']);

    const [a, b, other] = await Promise.all([
      batcher.sync(budgetsEntity, [key], kit.prisma, kit.supabase),
      batcher.sync(budgetsEntity, [key], kit.prisma, kit.supabase),
      batcher.sync(budgetsEntity, [String(second?.['id'])], kit.prisma, kit.supabase),
    ]);

    expect([a.copied[0]?.key, b.copied[0]?.key, other.copied[0]?.key]).toEqual([key, key, second?.['id']]);
    await expect(kit.supabase.get(budgetsEntity, key)).resolves.toEqual(first);
  });

  it('when the secondary is down every caller of the batch gets the failure', async () => {
    const batcher = new SyncBatcher(new KeySync({ pool: kit.pool, ledger: kit.ledger }));
    const rows = await rowsOnlyOnA(3);
    const down = kit.unreachableSupabase();

    const results = await Promise.allSettled(rows.map((row) => batcher.sync(budgetsEntity, [String(row['id'])], kit.prisma, down)));

    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });
});

describe('defaultSyncGatherMs: the gathering window when none is configured', () => {
  it('is 60 ms when callers are answered before their sync (no secondary timeout, or 0)', () => {
    expect(defaultSyncGatherMs(undefined)).toBe(60);
    expect(defaultSyncGatherMs(0)).toBe(60);
  });

  it('is 0 when callers wait for their sync, who would wait for the window too', () => {
    expect(defaultSyncGatherMs(250)).toBe(0);
  });
});
