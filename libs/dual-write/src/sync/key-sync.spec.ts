import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { budgetsEntity } from '@dualwrite/example-domain';
import type { Row, StorePlugin } from '@dualwrite/stores';
import { exampleTestDomain } from '@dualwrite/testing';
import { EngineTestKit } from '../../test/engine-test-kit';
import { requeueOwedOperations } from '../replay/ledger-sweep';
import { RolesMovedError } from '../flags/flag-repository';
import { KeySync } from './key-sync';

describe('KeySync: the secondary made to hold the primary rows (real stores)', () => {
  const kit = new EngineTestKit(exampleTestDomain);
  let sync: KeySync;

  beforeAll(async () => {
    await kit.start('dw_control_key_sync_spec');
    sync = new KeySync({ pool: kit.pool, ledger: kit.ledger });
  });
  afterAll(() => kit.stop());

  async function onlyOnA(overrides: Row = {}): Promise<Row> {
    return kit.prisma.insert(budgetsEntity, kit.budget(await kit.owner(), { id: uuidv7(), ...overrides }));
  }

  async function deleteProven(key: string): Promise<void> {
    const opId = uuidv7();
    const flagVersion = await kit.flagVersion();
    await kit.ledger.claim({ opId, entity: 'budgets', operation: 'delete', entityIds: [key], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
    await kit.ledger.transition(opId, 'primary_wrote', {});
  }

  it('copies the primary row to the secondary, and the secondary row says what it now holds', async () => {
    const row = await onlyOnA();

    const report = await sync.sync(budgetsEntity, [String(row['id'])], kit.prisma, kit.supabase);

    expect(report.copied).toEqual([{ key: row['id'], source: row, target: row }]);
    await expect(kit.supabase.get(budgetsEntity, String(row['id']))).resolves.toEqual(row);
  });

  it('copies several keys in one batch, all or none', async () => {
    const rows = [await onlyOnA(), await onlyOnA()];

    const report = await sync.sync(budgetsEntity, rows.map((row) => String(row['id'])), kit.prisma, kit.supabase);

    expect(report.copied.map((copied) => copied.key).sort()).toEqual(rows.map((row) => row['id']).sort());
    await expect(kit.supabase.findManyByIds(budgetsEntity, rows.map((row) => String(row['id'])))).resolves.toHaveLength(2);
  });

  it('a sync started first but slower cannot leave an older row than a sync started after a newer write', async () => {
    const row = await onlyOnA({ name: 'v1' });
    const id = String(row['id']);
    const slowTarget = kit.withSlowWrites(kit.supabase, 300);

    const first = sync.sync(budgetsEntity, [id], kit.prisma, slowTarget);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await kit.prisma.update(budgetsEntity, id, { name: 'v2' });
    const second = sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase);
    await Promise.all([first, second]);

    await expect(kit.supabase.get(budgetsEntity, id)).resolves.toMatchObject({ name: 'v2' });
  });

  it('holds the key until a call its guard stopped waiting for has settled, so that call cannot land last', async () => {
    const row = await onlyOnA({ name: 'v1' });
    const id = String(row['id']);
    const landed: string[] = [];
    const recording = (store: StorePlugin, delayMs: number): StorePlugin => {
      const wrapped = Object.create(store) as StorePlugin;
      wrapped.upsert = async (entity, written) => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const result = await store.upsert(entity, written);
        landed.push(String(written['name']));
        return result;
      };
      return wrapped;
    };
    const impatient = new KeySync({
      pool: kit.pool,
      ledger: kit.ledger,
      guard: (_store, call) => Promise.race([call(), new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('timed out')), 50))]),
    });

    const timedOut = impatient.sync(budgetsEntity, [id], kit.prisma, recording(kit.supabase, 300)).catch((error: Error) => error.message);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await kit.prisma.update(budgetsEntity, id, { name: 'v2' });
    const newer = sync.sync(budgetsEntity, [id], kit.prisma, recording(kit.supabase, 0));

    await expect(timedOut).resolves.toBe('timed out');
    await newer;
    expect(landed).toEqual(['v1', 'v2']);
    await expect(kit.supabase.get(budgetsEntity, id)).resolves.toMatchObject({ name: 'v2' });
  });

  it('deletes a row the primary lacks only when the ledger proves a delete', async () => {
    const row = await onlyOnA();
    const id = String(row['id']);
    await kit.supabase.upsert(budgetsEntity, row);
    await kit.prisma.delete(budgetsEntity, id);
    await deleteProven(id);

    const report = await sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase);

    expect(report.deleted).toEqual([id]);
    await expect(kit.supabase.get(budgetsEntity, id)).resolves.toBeNull();
  });

  it('leaves a row the primary lacks without a proven delete, and reports it (no delete, no cascade)', async () => {
    const row = await kit.supabase.insert(budgetsEntity, kit.budget(await kit.owner(), { id: uuidv7() }));
    const id = String(row['id']);

    const report = await sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase);

    expect(report.left).toEqual([{ key: id, targetRow: row, reason: expect.stringContaining('the ledger records no delete of it') }]);
    await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(row);
  });

  it('copies a row that landed on the source after its first read, instead of leaving the old one on the target', async () => {
    const old = await onlyOnA({ name: 'before the delete' });
    const id = String(old['id']);
    await kit.supabase.upsert(budgetsEntity, old);
    const recreated = await kit.prisma.update(budgetsEntity, id, { name: 'created again' });
    // The first read saw the key missing (a delete), the create landed before the ledger was asked.
    const readBeforeTheCreate = Object.create(kit.prisma) as StorePlugin;
    readBeforeTheCreate.findManyByIds = async () => [];

    const report = await sync.sync(budgetsEntity, [id], readBeforeTheCreate, kit.supabase);

    expect(report.left).toEqual([]);
    await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(recreated);
  });

  it('with a control pool of two connections, a dozen concurrent syncs of deleted keys all finish', async () => {
    const small = new Pool({ connectionString: kit.pool.options.connectionString, max: 2 });
    const narrow = new KeySync({ pool: small, ledger: kit.ledger });
    try {
      const ids: string[] = [];
      for (let index = 0; index < 12; index += 1) {
        const row = await onlyOnA();
        const id = String(row['id']);
        await kit.supabase.upsert(budgetsEntity, row);
        await kit.prisma.delete(budgetsEntity, id);
        await deleteProven(id);
        ids.push(id);
      }

      await Promise.all(ids.map((id) => narrow.sync(budgetsEntity, [id], kit.prisma, kit.supabase)));

      await expect(kit.supabase.findManyByIds(budgetsEntity, ids)).resolves.toEqual([]);
    } finally {
      await small.end();
    }
  });

  describe('settling the writes it is for', () => {
    const observation = () => ({ primaryOutcome: 'ok' as const, secondaryOutcome: 'ok' as const, primaryLatencyMs: 3, secondaryLatencyMs: 4, pathLatencyMs: 9 });

    async function claimed(operation: 'create' | 'update', key: string): Promise<string> {
      const opId = uuidv7();
      const flagVersion = await kit.flagVersion();
      await kit.ledger.claim({ opId, entity: 'budgets', operation, entityIds: [key], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
      await kit.ledger.transition(opId, 'primary_wrote', { entityIds: [key] });
      return opId;
    }

    it('marks the write applied when the sync commits, with what the alert rules read', async () => {
      const row = await onlyOnA();
      const id = String(row['id']);
      const opId = await claimed('update', id);

      const report = await sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase, [{ opId, observation }]);

      expect(report.settled).toEqual(new Map([[opId, 'applied']]));
      await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'applied', lastError: null });
      const { rows } = await kit.pool.query('select secondary_outcome, secondary_latency_ms, path_latency_ms from dual_write_ops where op_id = $1', [opId]);
      expect(rows[0]).toEqual({ secondary_outcome: 'ok', secondary_latency_ms: 4, path_latency_ms: 9 });
    });

    it('leaves the write unsettled when the sync fails: nothing applied before the secondary holds the row', async () => {
      const row = await onlyOnA();
      const id = String(row['id']);
      const opId = await claimed('update', id);
      const failing = Object.create(kit.supabase) as StorePlugin;
      failing.upsert = async () => Promise.reject(new Error('store B unreachable'));

      await expect(sync.sync(budgetsEntity, [id], kit.prisma, failing, [{ opId, observation }])).rejects.toThrow('store B unreachable');

      await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'primary_done' });
    });

    it('a write the ledger moved on meanwhile is reported unsettled, not marked twice', async () => {
      const row = await onlyOnA();
      const id = String(row['id']);
      const opId = await claimed('update', id);
      await kit.ledger.transition(opId, 'secondary_synced', {});

      const report = await sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase, [{ opId, observation }]);

      expect(report.settled).toEqual(new Map([[opId, null]]));
    });

    it('copies a create\'s own answer without reading the primary when no other operation wrote the key', async () => {
      const row = await onlyOnA({ name: 'as created' });
      const id = String(row['id']);
      const opId = await claimed('create', id);
      const unreadable = Object.create(kit.prisma) as StorePlugin;
      unreadable.findManyByIds = async () => Promise.reject(new Error('the primary was read'));

      const report = await sync.sync(budgetsEntity, [id], unreadable, kit.supabase, [{ opId, created: { key: id, row }, observation }]);

      expect(report.copied).toEqual([{ key: id, source: row, target: row }]);
      await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'applied' });
    });

    it('reads the primary for a created key a later write changed: the create\'s answer is no longer the row', async () => {
      const row = await onlyOnA({ name: 'as created' });
      const id = String(row['id']);
      const opId = await claimed('create', id);
      // An update claimed after the create landed, and landed before the create's sync took the lock.
      await claimed('update', id);
      const updated = await kit.prisma.update(budgetsEntity, id, { name: 'updated after' });

      await sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase, [{ opId, created: { key: id, row }, observation }]);

      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(updated);
    });

    // The sync commits without waiting for its WAL (PROTOCOL.md, "Settlements and the WAL"): a crash of the control
    // database may lose the settlement. The write is then back at primary_done, as the crash leaves it.
    it('a settlement a control-database crash lost is synced again by the sweep, from the primary\'s current row', async () => {
      const row = await onlyOnA({ name: 'v1' });
      const id = String(row['id']);
      const lost = await claimed('update', id);
      await sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase, [{ opId: lost, observation }]);
      await kit.pool.query(`update dual_write_ops set status = 'primary_done', updated_at = now() - interval '11 minutes' where op_id = $1`, [lost]);
      const newer = await claimed('update', id);
      const v2 = await kit.prisma.update(budgetsEntity, id, { name: 'v2' });
      await sync.sync(budgetsEntity, [id], kit.prisma, kit.supabase, [{ opId: newer, observation }]);

      await requeueOwedOperations(kit.ledger, kit.replayQueue, { olderThanMs: 60_000, pendingOlderThanMs: 10 * 60_000 });
      const replay = await kit.replayProcessor().replay(lost);

      expect(replay.outcome).toBe('applied');
      await expect(kit.ledger.get(lost)).resolves.toMatchObject({ status: 'applied' });
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(v2);
    });
  });

  describe('a sync whose roles were read from the flags (repair, backfill, undoing a late write)', () => {
    const PHASE_2 = { enableDualWrite: true, enableSupabasePrimary: false };
    const PHASE_3 = { enableDualWrite: true, enableSupabasePrimary: true };
    const flip = (next: typeof PHASE_2) => kit.switcher(5_000).change({ next, changedBy: 'spec', source: 'cli', reason: 'auto-rollback while a repair runs' });

    beforeEach(() => kit.pool.query('truncate dual_write_ops'));

    it('a flip of the primary waits for it to end: a write acknowledged after the flip is what both stores hold', async () => {
      await kit.setFlags(PHASE_3);
      const created = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner(), { name: 'v1' }));
      const id = String(created.data['id']);
      // Store B primary, as read; its upsert on store A held back 500 ms.
      const repairing = sync.sync(budgetsEntity, [id], kit.supabase, kit.withSlowWrites(kit.prisma, 500), [], { flagsPrimary: 'b' });
      await new Promise((resolve) => setTimeout(resolve, 100));

      await flip(PHASE_2);
      const acknowledged = await kit.engine({ secondaryTimeoutMs: 3_000 }).update({ entity: 'budgets' }, id, { name: 'v2, acknowledged in phase 2' });
      await repairing;

      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toMatchObject({ name: acknowledged.data['name'] });
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toMatchObject({ name: acknowledged.data['name'] });
    });

    it('one still on its way when the barrier gives up refuses the flip, saying so, and the flags go back', async () => {
      await kit.setFlags(PHASE_3);
      const created = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner(), { name: 'v1' }));
      const id = String(created.data['id']);
      const repairing = sync.sync(budgetsEntity, [id], kit.supabase, kit.withSlowWrites(kit.prisma, 1_500), [], { flagsPrimary: 'b' });
      await new Promise((resolve) => setTimeout(resolve, 100));

      const refused = kit.switcher(300).change({ next: PHASE_2, changedBy: 'spec', source: 'cli', reason: 'rollback while a repair runs' });

      await expect(refused).rejects.toThrow(/a sync whose roles were read under the old flags .* did not end within 300 ms/);
      expect((await kit.flags.current()).mode.phase).toBe(3);
      await expect(repairing).resolves.toMatchObject({ copied: [expect.objectContaining({ key: id })] });
    });

    it('one started after a flip, with the roles read before it, is refused and writes nothing', async () => {
      await kit.setFlags(PHASE_3);
      const created = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner(), { name: 'v1' }));
      const id = String(created.data['id']);
      await flip(PHASE_2);
      const acknowledged = await kit.engine({ secondaryTimeoutMs: 3_000 }).update({ entity: 'budgets' }, id, { name: 'v2, acknowledged in phase 2' });

      const stale = sync.sync(budgetsEntity, [id], kit.supabase, kit.prisma, [], { flagsPrimary: 'b' });

      await expect(stale).rejects.toBeInstanceOf(RolesMovedError);
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toMatchObject({ name: acknowledged.data['name'] });
    });
  });
});
