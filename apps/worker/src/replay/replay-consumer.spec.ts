import type { INestApplicationContext } from '@nestjs/common';
import { OperationLedger, ReplayQueue, bullConnection } from '@dualwrite/dual-write';
import { PrismaStore, SupabaseStore, type Row } from '@dualwrite/stores';
import { prepareControlDatabase } from '@dualwrite/testing';
import { budgetsEntity, createPrismaClient, usersEntity } from '@dualwrite/example-domain';
import { QueueEvents } from 'bullmq';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { eventually, removeTestQueues, startWorkerApp, testQueueNames } from '../testing/worker-test-app';

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] as string;
const redisUrl = process.env['REDIS_URL'] as string;
const supabaseSettings = {
  url: process.env['SUPABASE_URL'] as string,
  serviceRoleKey: process.env['SUPABASE_SERVICE_ROLE_KEY'] as string,
  databaseUrl: process.env['SUPABASE_DB_URL'] as string,
};

describe('replay consumer (dw-replay)', () => {
  let controlUrl: string;
  let pool: Pool;
  let ledger: OperationLedger;
  const prisma = new PrismaStore(createPrismaClient(primaryUrl), { ownsClient: true });
  const supabase = new SupabaseStore(supabaseSettings);
  const userIds: string[] = [];

  beforeAll(async () => {
    controlUrl = await prepareControlDatabase('dw_control_worker_replay');
    pool = new Pool({ connectionString: controlUrl, max: 2 });
    ledger = new OperationLedger(pool);
  });

  afterAll(async () => {
    for (const id of userIds) {
      for (const store of [prisma, supabase]) await store.delete(usersEntity, id).catch(() => undefined);
    }
    await Promise.all([prisma.close(), supabase.close(), pool.end()]);
  });

  /** A budget on store A only, whose owner is on both stores, and the operation the secondary owes for it. */
  async function owedBudget(): Promise<{ row: Row; opId: string }> {
    const ownerId = uuidv7();
    userIds.push(ownerId);
    const owner = await prisma.insert(usersEntity, { id: ownerId, email: `${ownerId}@worker.test`, displayName: 'Worker' });
    await supabase.insert(usersEntity, owner);
    const row = await prisma.insert(budgetsEntity, {
      id: uuidv7(),
      ownerId,
      name: 'Rent',
      amount: '950.00',
      currency: 'EUR',
      metadata: { month: 'March' },
    });
    const opId = uuidv7();
    await ledger.recordOwed(
      { opId, entity: 'budgets', operation: 'create', entityIds: [String(row['id'])], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase' },
      row,
      new Error('supabase unavailable'),
    );
    return { row, opId };
  }

  describe('with store B up', () => {
    const queues = testQueueNames('replay');
    const producer = new ReplayQueue({ redisUrl, queueName: queues.replayQueue });
    let app: INestApplicationContext;

    beforeAll(async () => {
      app = await startWorkerApp({ controlDatabaseUrl: controlUrl, settings: queues });
    });

    afterAll(async () => {
      await app.close();
      await producer.close();
      await removeTestQueues(queues);
    });

    it('applies an owed write: the row is identical on both stores and the ledger says applied', async () => {
      const { row, opId } = await owedBudget();

      await producer.enqueue(opId);
      const applied = await eventually(async () => ((await ledger.get(opId))?.status === 'applied' ? true : undefined));

      expect(applied).toBe(true);
      const onB = await supabase.get(budgetsEntity, String(row['id']));
      expect(onB).toEqual(await prisma.get(budgetsEntity, String(row['id'])));
      expect(onB).toEqual(row);
    });
  });

  describe('with store B down', () => {
    const queues = testQueueNames('replay-down');
    const attempts = 3;
    const producer = new ReplayQueue({ redisUrl, queueName: queues.replayQueue, attempts, backoffMs: 100 });
    const events = new QueueEvents(queues.replayQueue, { connection: bullConnection(redisUrl) });
    let app: INestApplicationContext;

    beforeAll(async () => {
      await events.waitUntilReady();
      app = await startWorkerApp({
        controlDatabaseUrl: controlUrl,
        settings: { ...queues, replayAttempts: attempts },
        createStores: () => ({
          a: new PrismaStore(createPrismaClient(primaryUrl), { ownsClient: true }),
          b: new SupabaseStore({
            ...supabaseSettings,
            url: 'http://127.0.0.1:1',
            databaseUrl: 'postgresql://postgres@127.0.0.1:1/dw_supabase',
            requestTimeoutMs: 500,
          }),
        }),
      });
    });

    afterAll(async () => {
      await app.close();
      await events.close();
      await producer.close();
      await removeTestQueues(queues);
    });

    it('retries with back-off, then the ledger says dead after the attempts and store B holds nothing', async () => {
      const { row, opId } = await owedBudget();
      const backoffs: string[] = [];
      events.on('delayed', ({ jobId }) => {
        if (jobId === opId) backoffs.push(jobId);
      });

      await producer.enqueue(opId);
      const dead = await eventually(async () => {
        const operation = await ledger.get(opId);
        return operation?.status === 'dead' ? operation : undefined;
      });

      expect(dead).toMatchObject({ status: 'dead', attempts, lastError: expect.stringContaining('supabase') });
      // Queue events arrive on their own connection, possibly a moment after the ledger row changed.
      await eventually(async () => (backoffs.length >= attempts - 1 ? true : undefined));
      expect(backoffs).toHaveLength(attempts - 1);
      expect(await producer.depth()).toBe(0);
      await expect(supabase.get(budgetsEntity, String(row['id']))).resolves.toBeNull();
    });
  });
});
