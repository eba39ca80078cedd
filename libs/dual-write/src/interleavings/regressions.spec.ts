import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { budgetsEntity } from '@dualwrite/example-domain';
import { StoreUnavailableError, type Row } from '@dualwrite/stores';
import { exampleTestDomain, prepareControlDatabase } from '@dualwrite/testing';
import { StoreBreakers } from '../breakers/store-breakers';
import { FlipRefusedError } from '../flags/flag-switcher';
import { OperationLedger } from '../ledger/operation-ledger';
import { ReplayProcessor } from '../replay/replay-processor';
import { KeySync } from '../sync/key-sync';
import { EngineTestKit } from '../../test/engine-test-kit';
import { answerLost, holdFirst } from '../../test/interleavings/real-store-gates';

/**
 * The counterexamples protocol-interleavings.spec.ts found, each replayed on the real stores (Prisma on
 * dw_primary, supabase-js on supabase-local), the ledger and locks on PostgreSQL and the queue on Redis. Each
 * forces its interleaving with held or lossy store calls and ends by checking the invariant it used to break;
 * each passes since its fix landed (the title says what is now protected).
 */
const CONTROL_DATABASE = 'dw_control_interleavings_regressions';
const PHASE_2 = { enableDualWrite: true, enableSupabasePrimary: false };
const PHASE_3 = { enableDualWrite: true, enableSupabasePrimary: true };
const flip = { changedBy: 'interleavings regression', source: 'cli' as const, reason: 'flip' };

function plain(row: Row | null): unknown {
  return JSON.parse(JSON.stringify(row));
}

describe('interleaving counterexamples on the real stores', () => {
  const kit = new EngineTestKit(exampleTestDomain);

  beforeAll(() => kit.start(CONTROL_DATABASE));
  afterAll(() => kit.stop());
  beforeEach(async () => {
    // The suite owns its control database: every scenario starts from an empty ledger in phase 2.
    await kit.pool.query('truncate dual_write_ops');
    await kit.setFlags(PHASE_2);
  });

  async function bothHold(id: string): Promise<[Row | null, Row | null]> {
    return [await kit.prisma.get(budgetsEntity, id), await kit.supabase.get(budgetsEntity, id)];
  }

  /** A budget on both stores, named v0. */
  async function budgetOnBoth(): Promise<{ id: string; ownerId: string }> {
    const ownerId = await kit.owner();
    const created = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(ownerId, { name: 'v0' }));
    return { id: String(created.data['id']), ownerId };
  }

  it('1. a primary write that times out is queued for its sync only once the call has landed: the late row reaches the secondary (I5)', async () => {
    const { id } = await budgetOnBoth();
    const slowA = holdFirst(kit.prisma, 'update');
    const engine = kit.engine({ a: slowA.store, breakers: new StoreBreakers({ stores: ['prisma', 'supabase'], settings: { callTimeoutMs: 200 } }) });
    const opId = uuidv7();

    await expect(engine.update({ entity: 'budgets', opId }, id, { name: 'late' })).rejects.toBeInstanceOf(StoreUnavailableError);
    // Pending until the call given up on has settled: a retry meanwhile is told to retry shortly.
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'pending' });
    expect(await kit.replayQueue.depth()).toBe(0);
    slowA.release();
    await slowA.landed;
    await engine.drain(5_000);
    await kit.replayProcessor().replay(opId);

    const [onA, onB] = await bothHold(id);
    expect(onA).toMatchObject({ name: 'late' });
    expect(onB).toEqual(onA);
  });

  it('2. a crashed process frees its key lock while its secondary upsert is on the way; the stale row lands last, the sweep converges (known limit: I3 window, I5 once swept)', async () => {
    const { id } = await budgetOnBoth();
    // Process 1: sessions of its own (they end when it stops) and a store B whose first upsert is slow.
    const applicationName = `dw-regression-crash-${uuidv7()}`;
    const pool = new Pool({ connectionString: await prepareControlDatabase(CONTROL_DATABASE), application_name: applicationName, max: 2 });
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const slowB = holdFirst(kit.supabase, 'upsert');
    const ledger = new OperationLedger(pool);
    const process1 = kit.engine({ b: slowB.store, ledger, keySync: new KeySync({ pool, ledger }), syncBatcher: undefined, secondaryTimeoutMs: 0 });
    try {
      const first = await process1.update({ entity: 'budgets' }, id, { name: 'v1' });
      await slowB.arrived; // its sync holds the key's lock; its upsert of v1 is on the way
      await kit.pool.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = $1', [applicationName]);

      const second = await kit.engine({ secondaryTimeoutMs: 3_000 }).update({ entity: 'budgets' }, id, { name: 'v2' });
      await expect(kit.ledger.get(String(second.opId))).resolves.toMatchObject({ status: 'applied' });
      slowB.release();
      await slowB.landed;
      // The window PROTOCOL.md names: supabase holds v1 although the newer v2 is applied.
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toMatchObject({ name: 'v1' });

      // Minutes later the sweep makes the crashed write owed; its replay copies the primary's current row.
      await kit.ledger.moveStale(new Date(Date.now() + 1_000));
      await kit.replayProcessor().replay(String(first.opId));
      const [onA, onB] = await bothHold(id);
      expect(onA).toMatchObject({ name: 'v2' });
      expect(onB).toEqual(onA);
    } finally {
      slowB.release();
      await process1.drain(5_000);
      await pool.end().catch(() => undefined);
    }
  });

  it('3. a retried delete whose first attempt landed but lost its answer succeeds (I4; was refused with 404)', async () => {
    const { id } = await budgetOnBoth();
    const opId = uuidv7();

    const lossy = kit.engine({ a: answerLost(kit.prisma, 'delete') });
    await expect(lossy.delete({ entity: 'budgets', opId }, id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await lossy.drain();
    await expect(kit.prisma.get(budgetsEntity, id)).resolves.toBeNull();

    await expect(kit.engine({ secondaryTimeoutMs: 3_000 }).delete({ entity: 'budgets', opId }, id)).resolves.toMatchObject({ opId });
  });

  it('4. a retried create whose first attempt landed but lost its answer succeeds (I4; was refused with 409, its timestamps re-stamped)', async () => {
    const ownerId = await kit.owner();
    const row = kit.budget(ownerId, { id: uuidv7() });
    const opId = uuidv7();

    const lossy = kit.engine({ a: answerLost(kit.prisma, 'insert'), insertBatcher: undefined });
    await expect(lossy.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    await lossy.drain();
    await new Promise((resolve) => setTimeout(resolve, 5));

    await expect(kit.engine({ secondaryTimeoutMs: 3_000, insertBatcher: undefined }).create({ entity: 'budgets', opId }, row)).resolves.toMatchObject({ data: { id: row['id'] } });
  });

  it('5. a delete that landed but lost its answer reaches the secondary: its unsettled delete proves the missing row (I5)', async () => {
    const { id } = await budgetOnBoth();
    const opId = uuidv7();

    const lossy = kit.engine({ a: answerLost(kit.prisma, 'delete') });
    await expect(lossy.delete({ entity: 'budgets', opId }, id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await lossy.drain();
    await kit.replayProcessor().replay(opId);

    await expect(bothHold(id)).resolves.toEqual([null, null]);
  });

  it('6. a write of unknown outcome holds a flip back until synced, so its row is not left on the old primary only (I5)', async () => {
    const ownerId = await kit.owner();
    const row = kit.budget(ownerId, { id: uuidv7() });
    const opId = uuidv7();
    const lossy = kit.engine({ a: answerLost(kit.prisma, 'insert'), insertBatcher: undefined });
    await expect(lossy.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    await lossy.drain();

    await kit
      .switcher(500)
      .change({ next: PHASE_3, ...flip })
      .catch((error: unknown) => {
        if (!(error instanceof FlipRefusedError)) throw error;
      });
    await kit.replayProcessor().replay(opId);

    const [onA, onB] = await bothHold(String(row['id']));
    expect(plain(onB)).toEqual(plain(onA));
  });

  it('7. a flip waits for a replay of an unknown-outcome write in flight, so it cannot overwrite a write acknowledged on the new primary (I1)', async () => {
    const { id } = await budgetOnBoth();
    const opId = uuidv7();
    const lossy = kit.engine({ a: answerLost(kit.prisma, 'update') });
    await expect(lossy.update({ entity: 'budgets', opId }, id, { name: 'w1' })).rejects.toBeInstanceOf(StoreUnavailableError);
    await lossy.drain();
    // The worker replays it: the key's lock taken, its read of prisma slow.
    const slowRead = holdFirst(kit.prisma, 'findManyByIds');
    const worker = new ReplayProcessor({
      ledger: kit.ledger,
      entities: kit.entities,
      keySync: kit.keySync,
      maxAttempts: 3,
      stores: new Map([
        ['prisma', slowRead.store],
        ['supabase', kit.supabase],
      ]),
    });
    const replaying = worker.replay(opId);
    await slowRead.arrived;

    await expect(kit.switcher(500).change({ next: PHASE_3, ...flip })).rejects.toThrow(new RegExp(`${opId} primary_unavailable`));
    slowRead.release();
    await replaying;
    await kit.switcher().change({ next: PHASE_3, ...flip });
    const engine = kit.engine({ secondaryTimeoutMs: 0 });
    const acknowledged = await engine.update({ entity: 'budgets' }, id, { name: 'w5' });
    await engine.drain(5_000);

    expect(acknowledged.data).toMatchObject({ name: 'w5' });
    const [onA, onB] = await bothHold(id);
    expect(onB).toMatchObject({ name: 'w5' });
    expect(onA).toEqual(onB);
  });

  it('8. a delete claimed before an upsert but landing after it is proven by being unsettled: the secondary drops the row (I5)', async () => {
    const { id, ownerId } = await budgetOnBoth();
    const slowDelete = holdFirst(kit.prisma, 'delete');
    const deleting = kit.engine({ a: slowDelete.store, secondaryTimeoutMs: 3_000 }).delete({ entity: 'budgets' }, id);
    await slowDelete.arrived; // claimed first

    await kit.engine({ secondaryTimeoutMs: 3_000 }).upsert({ entity: 'budgets' }, kit.budget(ownerId, { id, name: 'w1' })); // claimed second, lands first
    slowDelete.release();
    await deleting; // lands second: the row is gone from prisma

    await expect(bothHold(id)).resolves.toEqual([null, null]);
  });

  it('9. a delete is never marked applied while the secondary still holds the row it deleted, though a create landed between the sync\'s reads (I3)', async () => {
    const { id, ownerId } = await budgetOnBoth();
    // The delete's sync reads prisma (no row), then checks the row supabase holds: that check is slow.
    const slowCheck = holdFirst(kit.supabase, 'get');
    const deleting = kit.engine({ b: slowCheck.store, secondaryTimeoutMs: 3_000 }).delete({ entity: 'budgets' }, id);
    await slowCheck.arrived;
    const creator = kit.engine({ secondaryTimeoutMs: 0, insertBatcher: undefined });
    await creator.create({ entity: 'budgets' }, kit.budget(ownerId, { id, name: 'w1' }));
    slowCheck.release();
    const deleted = await deleting;

    const status = (await kit.ledger.get(String(deleted.opId)))?.status;
    const onB = await kit.supabase.get(budgetsEntity, id);
    await creator.drain(5_000);
    expect({ status, onB: onB?.['name'] }).not.toEqual({ status: 'applied', onB: 'v0' });
  });
});
