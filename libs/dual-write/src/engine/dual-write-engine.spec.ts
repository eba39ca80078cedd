import { v7 as uuidv7 } from 'uuid';
import { StoreBreakers } from '../breakers/store-breakers';
import { budgetsEntity, commentsEntity, postsEntity } from '@dualwrite/example-domain';
import { ContractViolationError } from '@dualwrite/stores';
import { requeueOwedOperations } from '../replay/ledger-sweep';
import { ReplayQueue } from '../replay/replay-queue';
import { StoreConflictError, StoreUnavailableError } from '@dualwrite/stores';
import { eventually, exampleTestDomain } from '@dualwrite/testing';
import { EngineTestKit } from '../../test/engine-test-kit';
import { SyncBatcher } from '../sync/sync-batcher';
import { Client } from 'pg';
import { supabaseTestSettings } from '@dualwrite/stores/testing';

const PHASE_1 = { enableDualWrite: false, enableSupabasePrimary: false };
const PHASE_2 = { enableDualWrite: true, enableSupabasePrimary: false };
const PHASE_3 = { enableDualWrite: true, enableSupabasePrimary: true };
const PHASE_4 = { enableDualWrite: false, enableSupabasePrimary: true };

describe('DualWriteEngine on real stores', () => {
  const kit = new EngineTestKit(exampleTestDomain);

  beforeAll(() => kit.start());
  afterAll(() => kit.stop());

  describe('one write per mode', () => {
    it('phase 1 writes store A only', async () => {
      await kit.setFlags(PHASE_1);
      const result = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(result.data['id']);

      expect(result).toMatchObject({ mode: 'primary-only', queued: false, stores: [{ store: 'prisma', role: 'primary', status: 'ok' }] });
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toEqual(result.data);
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toBeNull();
      await expect(kit.ledger.get(String(result.opId))).resolves.toMatchObject({ status: 'applied' });
    });

    it('phase 2 writes both stores with one key and returns store A answer', async () => {
      await kit.setFlags(PHASE_2);
      const result = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(result.data['id']);

      expect(result.mode).toBe('dual-primary-a');
      expect(result.stores.map((outcome) => [outcome.store, outcome.role, outcome.status])).toEqual([
        ['prisma', 'primary', 'ok'],
        ['supabase', 'secondary', 'ok'],
      ]);
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toEqual(result.data);
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(result.data);
    });

    it('phase 3 writes both stores and returns store B answer', async () => {
      await kit.setFlags(PHASE_3);
      const result = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(result.data['id']);

      expect(result.mode).toBe('dual-primary-b');
      expect(result.stores[0]).toMatchObject({ store: 'supabase', role: 'primary', status: 'ok' });
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(result.data);
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toEqual(result.data);
    });

    it('phase 4 writes store B only', async () => {
      await kit.setFlags(PHASE_4);
      const result = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(result.data['id']);

      expect(result).toMatchObject({ mode: 'secondary-only', stores: [{ store: 'supabase', role: 'primary', status: 'ok' }] });
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(result.data);
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toBeNull();
    });
  });

  describe('in phase 2', () => {
    beforeAll(() => kit.setFlags(PHASE_2));

    it('update, then delete, reach both stores', async () => {
      const engine = kit.engine();
      const created = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(created.data['id']);

      const updated = await engine.update({ entity: 'budgets' }, id, { amount: '75.25', metadata: { tags: ['rent'] } });
      const onB = await kit.supabase.get(budgetsEntity, id);
      await engine.delete({ entity: 'budgets' }, id);

      expect(updated.data).toMatchObject({ amount: '75.25', metadata: { tags: ['rent'] } });
      expect(onB).toEqual(updated.data);
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toBeNull();
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toBeNull();
    });

    it('a serial key assigned by store A is written to store B and B sequence stays ahead', async () => {
      const engine = kit.engine();
      const ownerId = await kit.owner();
      const post = await engine.create({ entity: 'posts' }, { authorId: ownerId, title: 'Serial', body: 'keys' });

      const comment = await engine.create({ entity: 'comments' }, { postId: post.data['id'], authorId: ownerId, body: 'first' });
      const onB = await kit.supabase.get(commentsEntity, Number(comment.data['id']));
      const nextOnB = await kit.supabase.insert(commentsEntity, { postId: post.data['id'], authorId: ownerId, body: 'B assigns' });

      expect(onB).toEqual(comment.data);
      expect(Number(nextOnB['id'])).toBeGreaterThan(Number(comment.data['id']));
      await expect(kit.prisma.get(postsEntity, String(post.data['id']))).resolves.toEqual(post.data);
    });

    it('concurrent creates (sent to each store in shared inserts) all land on both stores, each caller with its own row', async () => {
      const engine = kit.engine();
      const ownerId = await kit.owner();
      const taken = await engine.create({ entity: 'budgets' }, kit.budget(ownerId, { name: 'taken' }));

      const attempts = await Promise.allSettled(
        Array.from({ length: 24 }, (_, index) =>
          engine.create({ entity: 'budgets' }, kit.budget(ownerId, index === 7 ? { id: taken.data['id'], name: 'duplicate' } : { name: `concurrent ${index}` })),
        ),
      );

      const created = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
      expect(created.map((result) => result.data['name']).sort()).toEqual(
        Array.from({ length: 24 }, (_, index) => `concurrent ${index}`).filter((name) => name !== 'concurrent 7').sort(),
      );
      expect(attempts[7]).toMatchObject({ status: 'rejected', reason: expect.any(StoreConflictError) });
      const ids = created.map((result) => String(result.data['id']));
      await expect(kit.prisma.findManyByIds(budgetsEntity, ids)).resolves.toHaveLength(23);
      await expect(kit.supabase.findManyByIds(budgetsEntity, ids)).resolves.toHaveLength(23);
      for (const result of created) {
        expect(result.stores.map((outcome) => outcome.status)).toEqual(['ok', 'ok']);
        await expect(kit.ledger.get(String(result.opId))).resolves.toMatchObject({ status: 'applied' });
      }
      await expect(kit.supabase.get(budgetsEntity, String(taken.data['id']))).resolves.toEqual(taken.data);
    });

    it('a batch lands on both stores as one unit', async () => {
      const ownerId = await kit.owner();
      const rows = [kit.budget(ownerId, { id: uuidv7(), name: 'one' }), kit.budget(ownerId, { id: uuidv7(), name: 'two' })];

      const result = await kit.engine().batch({ entity: 'budgets' }, rows);

      const ids = rows.map((row) => String(row['id']));
      expect(result.data).toEqual({ count: 2 });
      await expect(kit.prisma.findManyByIds(budgetsEntity, ids)).resolves.toHaveLength(2);
      await expect(kit.supabase.findManyByIds(budgetsEntity, ids)).resolves.toHaveLength(2);
    });

    it('a batch without ids retried with its operation id names the same rows: its first answer, no second set of rows', async () => {
      const ownerId = await kit.owner();
      const rows = [kit.budget(ownerId, { name: 'no id one' }), kit.budget(ownerId, { name: 'no id two' })];
      const opId = uuidv7();

      const first = await kit.engine({ secondaryTimeoutMs: 3_000 }).batch({ entity: 'budgets', opId }, rows);
      const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).batch({ entity: 'budgets', opId }, rows);

      expect(retried.data).toEqual(first.data);
      const recorded = await kit.ledger.get(opId);
      expect(recorded?.entityIds).toHaveLength(2);
      await expect(kit.prisma.findManyByIds(budgetsEntity, recorded?.entityIds ?? [])).resolves.toHaveLength(2);
      await expect(kit.supabase.findManyByIds(budgetsEntity, recorded?.entityIds ?? [])).resolves.toHaveLength(2);
    });

    it('an invalid payload is refused naming the field, and nothing is written anywhere', async () => {
      const id = uuidv7();
      const opsBefore = await kit.ledger.countByStatus();

      const attempt = kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner(), { id, amount: 'twelve', currency: 'euro' }));

      await expect(attempt).rejects.toBeInstanceOf(ContractViolationError);
      await expect(attempt).rejects.toThrow(/amount: .*decimal.*currency: .*ISO currency/);
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toBeNull();
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toBeNull();
      expect(await kit.ledger.countByStatus()).toEqual(opsBefore);
    });

    it('a retried opId is applied once and answers with the first result', async () => {
      const engine = kit.engine();
      const opId = uuidv7();
      const row = kit.budget(await kit.owner(), { id: uuidv7() });

      const first = await engine.create({ entity: 'budgets', opId }, row);
      const retry = await engine.create({ entity: 'budgets', opId }, row);

      expect(JSON.parse(JSON.stringify(retry.data))).toEqual(JSON.parse(JSON.stringify(first.data)));
      expect(retry.warnings[0]).toContain('already applied');
      await expect(kit.supabase.findManyByIds(budgetsEntity, [String(row['id'])])).resolves.toHaveLength(1);
    });

    it('store B down: the user gets store A answer, the write is queued, and a replay makes B whole once', async () => {
      const engine = kit.engine({ b: kit.unreachableSupabase() });
      const result = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(result.data['id']);

      expect(result.queued).toBe(true);
      expect(result.stores[1]).toMatchObject({ store: 'supabase', status: 'failed' });
      await expect(kit.ledger.get(String(result.opId))).resolves.toMatchObject({ status: 'secondary_pending' });
      expect(await kit.replayQueue.depth()).toBeGreaterThanOrEqual(1);

      const processor = kit.replayProcessor();
      await processor.replay(String(result.opId));
      await processor.replay(String(result.opId));

      await expect(kit.supabase.findManyByIds(budgetsEntity, [id])).resolves.toEqual([result.data]);
      await expect(kit.ledger.get(String(result.opId))).resolves.toMatchObject({ status: 'applied' });
    });

    it('Redis down while store B fails: the ledger keeps the write and the sweep queues it later', async () => {
      const deadRedisQueue = new ReplayQueue({ redisUrl: 'redis://127.0.0.1:1', queueName: kit.replayQueueName });
      const engine = kit.engine({ b: kit.unreachableSupabase(), replayQueue: deadRedisQueue });
      try {
        const result = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));

        expect(result.queued).toBe(true);
        expect(result.warnings.join(' ')).toContain('kept in the ledger only');
        await expect(kit.ledger.get(String(result.opId))).resolves.toMatchObject({ status: 'secondary_pending' });

        await kit.replayQueue.obliterate();
        // updated_at is kept to the millisecond (rounded); let the clock move past it.
        await new Promise((resolve) => setTimeout(resolve, 10));
        const queued = await requeueOwedOperations(kit.ledger, kit.replayQueue, { olderThanMs: 0, limit: 10_000 });
        expect(queued).toBeGreaterThanOrEqual(1);
      } finally {
        await deadRedisQueue.close();
      }
    });

    it('store B slower than the secondary timeout: the caller gets store A answer at once, and B sync settles as applied later', async () => {
      const slowB = kit.withSlowWrites(kit.supabase, 600);
      const engine = kit.engine({ b: slowB, secondaryTimeoutMs: 50, insertBatcher: undefined });
      const depthBefore = await kit.replayQueue.depth();
      const started = performance.now();

      const result = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));

      expect(performance.now() - started).toBeLessThan(500);
      expect(result).toMatchObject({ queued: false, stores: [{ status: 'ok' }, { store: 'supabase', status: 'pending' }] });
      expect(result.warnings.join(' ')).toContain('still syncing after 50 ms');
      const settled = await eventually(async () => {
        const operation = await kit.ledger.get(String(result.opId));
        return operation?.status === 'pending' || operation?.status === 'primary_done' ? undefined : operation;
      });
      expect(settled).toMatchObject({ status: 'applied' });
      await expect(kit.supabase.get(budgetsEntity, String(result.data['id']))).resolves.toEqual(result.data);
      expect(await kit.replayQueue.depth()).toBe(depthBefore);
    });

    it('drain waits for a secondary write still running after its caller was answered (shutdown)', async () => {
      const slowB = kit.withSlowWrites(kit.supabase, 300);
      const engine = kit.engine({ b: slowB, secondaryTimeoutMs: 0, insertBatcher: undefined });
      const result = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      expect(result.stores[1]).toMatchObject({ status: 'pending' });

      const stillRunning = await engine.drain();

      expect(stillRunning).toBe(0);
      await expect(kit.ledger.get(String(result.opId))).resolves.toMatchObject({ status: 'applied', secondaryStore: 'supabase' });
      await expect(kit.supabase.get(budgetsEntity, String(result.data['id']))).resolves.toEqual(result.data);
    });

    it('a retry while the secondary still syncs gets the first answer from any process: the primary holds the write', async () => {
      const slowB = kit.withSlowWrites(kit.supabase, 300);
      const engine = kit.engine({ b: slowB, secondaryTimeoutMs: 0, insertBatcher: undefined });
      const opId = uuidv7();
      const row = kit.budget(await kit.owner(), { id: uuidv7() });

      const otherProcess = kit.engine({ secondaryTimeoutMs: 0 });

      const first = await engine.create({ entity: 'budgets', opId }, row);
      const sameProcess = await engine.create({ entity: 'budgets', opId }, row);
      const elsewhere = await otherProcess.create({ entity: 'budgets', opId }, row);
      await engine.drain();
      const later = await otherProcess.create({ entity: 'budgets', opId }, row);

      expect(JSON.parse(JSON.stringify(sameProcess.data))).toEqual(JSON.parse(JSON.stringify(first.data)));
      expect(sameProcess.warnings[0]).toContain('already applied');
      expect(elsewhere.data['id']).toBe(first.data['id']);
      expect(later.data['id']).toBe(first.data['id']);
      await expect(kit.supabase.findManyByIds(budgetsEntity, [String(row['id'])])).resolves.toHaveLength(1);
    });

    it('with no wait for the secondary (timeout 0), a store B failure after the answer is owed and queued', async () => {
      const unreachable = kit.unreachableSupabase();
      const lateFailingB = kit.withSlowWrites(unreachable, 100);
      const engine = kit.engine({ b: lateFailingB, secondaryTimeoutMs: 0, insertBatcher: undefined });

      const result = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));

      expect(result.stores[1]).toMatchObject({ store: 'supabase', status: 'pending' });
      expect(result.warnings).toEqual([]);
      const settled = await eventually(async () => {
        const operation = await kit.ledger.get(String(result.opId));
        return operation?.status === 'pending' || operation?.status === 'primary_done' ? undefined : operation;
      });
      expect(settled).toMatchObject({ status: 'secondary_pending' });
      const jobs = await kit.replayQueue.depth();
      expect(jobs).toBeGreaterThanOrEqual(1);
    });

    it('a write left pending by a process that stopped is swept and its keys synced from store A rows; nobody was told it succeeded', async () => {
      const ownerId = await kit.owner();
      const row = await kit.prisma.insert(budgetsEntity, kit.budget(ownerId, { id: uuidv7(), name: 'process died here' }));
      const opId = uuidv7();
      const flagVersion = await kit.flagVersion();
      await kit.ledger.claim({ opId, entity: 'budgets', operation: 'create', entityIds: [String(row['id'])], payload: row, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
      await kit.pool.query(`update dual_write_ops set updated_at = now() - interval '11 minutes' where op_id = $1`, [opId]);

      const queued = await requeueOwedOperations(kit.ledger, kit.replayQueue, { olderThanMs: 60_000, pendingOlderThanMs: 10 * 60_000 });
      await kit.replayProcessor().replay(opId);

      expect(queued).toBeGreaterThanOrEqual(1);
      await expect(kit.supabase.get(budgetsEntity, String(row['id']))).resolves.toEqual(row);
      await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'abandoned' });
    });

    it('store A rejects the write: the error reaches the user and store B is never asked (nothing to undo)', async () => {
      const engine = kit.engine();
      const ownerId = await kit.owner();
      const taken = await kit.prisma.insert(budgetsEntity, kit.budget(ownerId, { id: uuidv7(), name: 'only on A' }));
      const id = String(taken['id']);

      const attempt = engine.create({ entity: 'budgets' }, kit.budget(ownerId, { id, name: 'duplicate' }));

      await expect(attempt).rejects.toBeInstanceOf(StoreConflictError);
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toBeNull();
      await expect(kit.prisma.get(budgetsEntity, id)).resolves.toEqual(taken);
      const operation = (await kit.pool.query(`select status, last_error from dual_write_ops where entity_ids @> array[$1]::text[] and operation = 'create' order by seq desc limit 1`, [id])).rows[0];
      expect(operation).toMatchObject({ status: 'rejected', last_error: expect.stringContaining('StoreConflictError') });
    });

    it('a shadow read that differs on store B is queued as a diff with its severity', async () => {
      const engine = kit.engine();
      const created = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(created.data['id']);
      await kit.supabase.update(budgetsEntity, id, { amount: '999.99' });

      const read = await engine.find('budgets', id, 'GET /api/budgets/:id');

      expect(read.data).toEqual(created.data);
      const diff = await eventually(async () => (await kit.queuedDiffs()).find((queued) => queued.entityId === id && queued.operation === 'read'));
      expect(diff).toMatchObject({ severity: 'error', apiEndpoint: 'GET /api/budgets/:id', primaryStore: 'prisma', secondaryStore: 'supabase' });
      expect(diff.differences).toEqual([expect.objectContaining({ field: 'amount', primary: '120.5', secondary: '999.99' })]);
    });

    it('a read right after a write compares store B only once the write has synced there: no diff for the lag', async () => {
      const engine = kit.engine({ secondaryTimeoutMs: 0, syncBatcher: new SyncBatcher(kit.keySync, { gatherMs: 300 }) });
      const created = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const id = String(created.data['id']);
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toBeNull();

      const read = await engine.find('budgets', id, 'GET /api/budgets/:id');
      await engine.drain(5_000);

      expect(read.data).toEqual(created.data);
      await expect(kit.supabase.get(budgetsEntity, id)).resolves.toEqual(created.data);
      expect((await kit.queuedDiffs()).filter((queued) => queued.entityId === id)).toEqual([]);
    });

    it('every write of a batched sync is compared with the row store B stored: what B changes is a diff of each', async () => {
      const storeB = new Client({ connectionString: supabaseTestSettings().databaseUrl });
      await storeB.connect();
      const marker = `rewritten by B ${uuidv7()}`;
      await storeB.query(`create or replace function dw_spec_rewrite_name() returns trigger language plpgsql as $$
        begin if new.name like 'rewritten by B %' then new.name := new.name || ' (B)'; end if; return new; end $$`);
      await storeB.query('create or replace trigger dw_spec_rewrite_name before insert or update on budgets for each row execute function dw_spec_rewrite_name()');
      try {
        const engine = kit.engine({ secondaryTimeoutMs: 0, syncBatcher: new SyncBatcher(kit.keySync, { gatherMs: 200 }) });
        const ownerId = await kit.owner();
        const created = await Promise.all([1, 2, 3].map((n) => engine.create({ entity: 'budgets' }, kit.budget(ownerId, { name: `${marker} ${n}` }))));
        await engine.drain(5_000);

        const ids = created.map((result) => String(result.data['id']));
        const diffs = (await kit.queuedDiffs()).filter((queued) => ids.includes(String(queued.entityId)));
        expect(diffs.map((diff) => diff.entityId).sort()).toEqual([...ids].sort());
        for (const diff of diffs) expect(diff.differences).toEqual([expect.objectContaining({ field: 'name', secondary: expect.stringMatching(/ \(B\)$/) })]);
      } finally {
        await storeB.query('drop trigger if exists dw_spec_rewrite_name on budgets');
        await storeB.end();
      }
    });

    it('with store A unavailable, reads fall back to store B and say so', async () => {
      const created = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
      const breakers = new StoreBreakers({ stores: ['prisma', 'supabase'] });
      const engine = kit.engine({ breakers });
      breakers.isolate('prisma');

      const read = await engine.find('budgets', String(created.data['id']));

      expect(read).toMatchObject({ degraded: true, data: created.data });
      expect(read.warnings[0]).toContain('answered from supabase');
    });

    it('with both stores unavailable, a read fails as unavailable naming both', async () => {
      const breakers = new StoreBreakers({ stores: ['prisma', 'supabase'] });
      const engine = kit.engine({ b: kit.unreachableSupabase(), breakers });
      breakers.isolate('prisma');

      const attempt = engine.find('budgets', uuidv7());

      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow('both stores are unavailable');
    });
  });
});
