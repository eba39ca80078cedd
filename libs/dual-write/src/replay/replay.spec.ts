import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { budgetsEntity, createPrismaClient, exampleEntities, usersEntity } from '@dualwrite/example-domain';
import { EntityRegistry } from '@dualwrite/stores';
import type { Row } from '@dualwrite/stores';
import { FlagRepository } from '../flags/flag-repository';
import { OperationLedger } from '../ledger/operation-ledger';
import { KeySync } from '../sync/key-sync';
import { PrismaStore } from '@dualwrite/stores';
import { SupabaseStore } from '@dualwrite/stores';
import { supabaseTestSettings, unreachableSupabase } from '@dualwrite/stores/testing';
import type { StorePlugin } from '@dualwrite/stores';
import { requeueOwedOperations } from './ledger-sweep';
import { ReplayProcessor } from './replay-processor';
import { ReplayQueue } from './replay-queue';
import { prepareControlDatabase } from '@dualwrite/testing';

const controlUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('replay of writes the secondary owes', () => {
  let pool: Pool;
  let ledger: OperationLedger;
  const entities = new EntityRegistry(exampleEntities);
  const prisma = new PrismaStore(createPrismaClient(controlUrl), { ownsClient: true });
  const supabase = new SupabaseStore(supabaseTestSettings());
  const stores = new Map<string, StorePlugin>([
    ['prisma', prisma],
    ['supabase', supabase],
  ]);
  let processor: ReplayProcessor;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_replay_spec'), max: 4 });
    ledger = new OperationLedger(pool);
    processor = new ReplayProcessor({ ledger, entities, stores, maxAttempts: 2, keySync: new KeySync({ pool, ledger }) });
  });
  const userIds: string[] = [];
  const opIds: string[] = [];

  afterAll(async () => {
    for (const id of userIds) {
      for (const store of [prisma, supabase]) await store.delete(usersEntity, id).catch(() => undefined);
    }
    await pool.query('delete from dual_write_ops where op_id = any($1)', [opIds]);
    await Promise.all([prisma.close(), supabase.close(), pool.end()]);
  });

  async function userOnBoth(): Promise<string> {
    const id = uuidv7();
    userIds.push(id);
    const user = await prisma.insert(usersEntity, { id, email: `${id}@replay.test`, displayName: 'Replay' });
    await supabase.insert(usersEntity, user);
    return id;
  }

  async function owe(entityIds: string[], operation: 'create' | 'delete' = 'create'): Promise<string> {
    const opId = uuidv7();
    opIds.push(opId);
    const flagVersion = (await new FlagRepository(pool).read()).version;
    await ledger.claim({ opId, entity: 'budgets', operation, entityIds, payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
    await ledger.transition(opId, 'primary_wrote', {});
    await ledger.transition(opId, 'secondary_failed', { lastError: new Error('supabase unavailable') });
    return opId;
  }

  function budget(ownerId: string): Row {
    return { id: uuidv7(), ownerId, name: 'Travel', amount: '310.40', currency: 'EUR', metadata: { trip: 'Lisbon' } };
  }

  it('copies the primary row to the secondary and marks the operation applied', async () => {
    const row = await prisma.insert(budgetsEntity, budget(await userOnBoth()));
    const opId = await owe([String(row['id'])]);

    const result = await processor.replay(opId);

    expect(result.outcome).toBe('applied');
    await expect(supabase.get(budgetsEntity, String(row['id']))).resolves.toEqual(row);
    await expect(ledger.get(opId)).resolves.toMatchObject({ status: 'applied' });
  });

  it('a second replay of the same operation changes nothing', async () => {
    const row = await prisma.insert(budgetsEntity, budget(await userOnBoth()));
    const opId = await owe([String(row['id'])]);
    await processor.replay(opId);

    const again = await processor.replay(opId);

    expect(again.outcome).toBe('not-owed');
    await expect(supabase.findManyByIds(budgetsEntity, [String(row['id'])])).resolves.toEqual([row]);
  });

  it('a delete the secondary missed removes its row', async () => {
    const ownerId = await userOnBoth();
    const row = await supabase.insert(budgetsEntity, budget(ownerId));
    const opId = await owe([String(row['id'])], 'delete');

    await processor.replay(opId);

    await expect(supabase.get(budgetsEntity, String(row['id']))).resolves.toBeNull();
  });

  it('a row missing on the primary with no delete to prove it is left on the secondary and reported', async () => {
    const ownerId = await userOnBoth();
    const row = await supabase.insert(budgetsEntity, budget(ownerId));
    const opId = await owe([String(row['id'])], 'create');

    const result = await processor.replay(opId);

    expect(result.outcome).toBe('applied');
    expect(result.left?.map((left) => left.key)).toEqual([row['id']]);
    expect(result.left?.[0]?.reason).toContain('no delete');
    await expect(supabase.get(budgetsEntity, String(row['id']))).resolves.toEqual(row);
  });

  it('while the secondary is down the operation is retried, then dead-lettered after its attempts', async () => {
    const down = new SupabaseStore({ ...supabaseTestSettings(), ...unreachableSupabase, requestTimeoutMs: 1_000 });
    const failing = new ReplayProcessor({
      ledger,
      entities,
      stores: new Map<string, StorePlugin>([['prisma', prisma], ['supabase', down]]),
      maxAttempts: 2,
      keySync: new KeySync({ pool, ledger }),
    });
    const row = await prisma.insert(budgetsEntity, budget(await userOnBoth()));
    const opId = await owe([String(row['id'])]);

    const first = await failing.replay(opId);
    const second = await failing.replay(opId);
    await down.close();

    expect([first.outcome, second.outcome]).toEqual(['retry', 'dead']);
    await expect(ledger.get(opId)).resolves.toMatchObject({ status: 'dead', attempts: 2, lastError: expect.stringContaining('supabase') });
    await expect(supabase.get(budgetsEntity, String(row['id']))).resolves.toBeNull();
  });

  describe('queue', () => {
    const queue = new ReplayQueue({ redisUrl, queueName: `dw-replay-spec-${uuidv7()}` });

    afterAll(async () => {
      await queue.obliterate();
      await queue.close();
    });

    it('queues an operation once however often it is enqueued', async () => {
      const opId = uuidv7();

      await queue.enqueue(opId);
      await queue.enqueue(opId);

      expect(await queue.depth()).toBe(1);
    });

    it('the ledger sweep queues owed operations that never reached Redis', async () => {
      await queue.obliterate();
      const row = await prisma.insert(budgetsEntity, budget(await userOnBoth()));
      const opId = await owe([String(row['id'])]);

      // updated_at is kept to the millisecond (rounded); let the clock move past it.
      await new Promise((resolve) => setTimeout(resolve, 10));
      const queued = await requeueOwedOperations(ledger, queue, { olderThanMs: 0 });

      expect(queued).toBeGreaterThanOrEqual(1);
      expect(await queue.depth()).toBe(queued);
      await processor.replay(opId);
    });

    /** Writes whose process stopped after the primary: left `primary_done`, last touched an hour ago. */
    async function leftByAStoppedProcess(count: number): Promise<string[]> {
      const flagVersion = (await new FlagRepository(pool).read()).version;
      const left: string[] = [];
      for (let index = 0; index < count; index += 1) {
        const opId = uuidv7();
        await ledger.claim({ opId, entity: 'budgets', operation: 'create', entityIds: [uuidv7()], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
        await ledger.transition(opId, 'primary_wrote', {});
        left.push(opId);
      }
      opIds.push(...left);
      await pool.query(`update dual_write_ops set updated_at = now() - interval '1 hour' where op_id = any($1)`, [left]);
      return left;
    }

    it('one sweep moves on and queues a backlog of stopped writes larger than a batch', async () => {
      await queue.obliterate();
      const left = await leftByAStoppedProcess(250);

      const queued = await requeueOwedOperations(ledger, queue, { olderThanMs: 60_000, pendingOlderThanMs: 10 * 60_000, limit: 100 });

      const { rows } = await pool.query<{ status: string; n: string }>('select status, count(*) as n from dual_write_ops where op_id = any($1) group by status', [left]);
      expect(rows).toEqual([{ status: 'secondary_pending', n: '250' }]);
      expect(queued).toBeGreaterThanOrEqual(250);
      expect(await queue.depth()).toBe(queued);
    });

    it('one sweep queues a backlog of owed writes larger than a page (their jobs lost with Redis)', async () => {
      await queue.obliterate();
      const owed: string[] = [];
      for (let index = 0; index < 250; index += 1) owed.push(await owe([uuidv7()]));
      await pool.query(`update dual_write_ops set updated_at = now() - interval '5 minutes' where op_id = any($1)`, [owed]);

      const queued = await requeueOwedOperations(ledger, queue, { olderThanMs: 60_000, limit: 100 });

      expect(queued).toBeGreaterThanOrEqual(250);
      expect(await queue.depth()).toBe(queued);
      await pool.query('delete from dual_write_ops where op_id = any($1)', [owed]);
    });

    it('a sweep past its time budget stops after the batch it is on', async () => {
      await queue.obliterate();
      const left = await leftByAStoppedProcess(150);

      const queued = await requeueOwedOperations(ledger, queue, { olderThanMs: 60_000, pendingOlderThanMs: 10 * 60_000, limit: 100, budgetMs: 0 });

      const { rows } = await pool.query<{ status: string; n: string }>('select status, count(*) as n from dual_write_ops where op_id = any($1) group by status order by status', [left]);
      expect(rows).toEqual([
        { status: 'primary_done', n: '50' },
        { status: 'secondary_pending', n: '100' },
      ]);
      expect(queued).toBe(100);
    });
  });
});
