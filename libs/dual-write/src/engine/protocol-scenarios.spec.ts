import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { budgetsEntity, commentsEntity, postsEntity } from '@dualwrite/example-domain';
import { ContractViolationError, StoreNotFoundError, StoreUnavailableError, type Row, type StorePlugin } from '@dualwrite/stores';
import { StoreBreakers } from '../breakers/store-breakers';
import { FlagRepository } from '../flags/flag-repository';
import { FlagService } from '../flags/flag-service';
import { FlipRefusedError } from '../flags/flag-switcher';
import { LedgerTransitionError } from '../ledger/operation-transitions';
import { requeueOwedOperations } from '../replay/ledger-sweep';
import { exampleTestDomain } from '@dualwrite/testing';
import { EngineTestKit } from '../../test/engine-test-kit';

/**
 * The review's eight ways the old write path lost or diverged rows (issue "A write protocol that cannot lose or
 * diverge a row"), each replayed on real PostgreSQL, supabase-local and Redis against the protocol of
 * PROTOCOL.md. Each ends by checking what the invariants promise: the acknowledged write is where it must be,
 * and both stores hold the same rows.
 */
const PHASE_1 = { enableDualWrite: false, enableSupabasePrimary: false };
const PHASE_2 = { enableDualWrite: true, enableSupabasePrimary: false };
const PHASE_3 = { enableDualWrite: true, enableSupabasePrimary: true };

/** The same store with its n-th upsert held back delaysMs[n] (later ones not at all): calls land out of order. */
function withUpsertDelays(store: StorePlugin, delaysMs: number[]): StorePlugin {
  const delayed = Object.create(store) as StorePlugin;
  let call = 0;
  delayed.upsert = async (entity, row) => {
    const delayMs = delaysMs[call++] ?? 0;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return store.upsert(entity, row);
  };
  return delayed;
}

/** The same store whose inserts and deletes land but whose answer is lost (the connection drops after the commit). */
function withLostAnswers(store: StorePlugin): StorePlugin {
  const lossy = Object.create(store) as StorePlugin;
  const lost = (): never => {
    throw new StoreUnavailableError(store.name, 'the connection dropped after the statement was sent');
  };
  lossy.insert = async (entity, row) => (await store.insert(entity, row), lost());
  lossy.delete = async (entity, key) => (await store.delete(entity, key), lost());
  return lossy;
}

function plain(row: Row | null): unknown {
  return JSON.parse(JSON.stringify(row));
}

describe('write protocol scenarios (real stores)', () => {
  const kit = new EngineTestKit(exampleTestDomain);

  beforeAll(() => kit.start('dw_control_protocol_spec'));
  afterAll(() => kit.stop());
  // One scenario's dead or owed writes must not block the next one's flips.
  beforeEach(() => kit.pool.query('truncate dual_write_ops'));

  async function bothHold(entity: typeof budgetsEntity, key: string | number): Promise<[Row | null, Row | null]> {
    return [await kit.prisma.get(entity, key), await kit.supabase.get(entity, key)];
  }

  it('1. phase 3 update of a row only store A holds is refused by store B and deletes nothing on A (no cascade)', async () => {
    await kit.setFlags(PHASE_1);
    const ownerId = await kit.owner();
    const post = await kit.prisma.insert(postsEntity, { id: uuidv7(), authorId: ownerId, title: 'phase 1 only', body: 'never copied' });
    const comment = await kit.prisma.insert(commentsEntity, { postId: post['id'], authorId: ownerId, body: 'child of the post' });
    await kit.setFlags(PHASE_3);

    const update = kit.engine().update({ entity: 'posts' }, String(post['id']), { title: 'changed in phase 3' });

    await expect(update).rejects.toBeInstanceOf(StoreNotFoundError);
    await expect(kit.prisma.get(postsEntity, String(post['id']))).resolves.toEqual(post);
    await expect(kit.prisma.get(commentsEntity, Number(comment['id']))).resolves.toEqual(comment);
  });

  it('1b. a phase 3 create still owed to store A blocks a rollback to phase 2 until replayed; then it is on both', async () => {
    await kit.setFlags(PHASE_3);
    const created = await kit.engine({ a: kit.unreachablePrisma() }).create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(created.data['id']);
    await expect(kit.ledger.get(String(created.opId))).resolves.toMatchObject({ status: 'secondary_pending' });

    await expect(kit.switcher(500).change({ next: PHASE_2, changedBy: 'spec', source: 'cli', reason: 'roll back' })).rejects.toBeInstanceOf(FlipRefusedError);
    expect((await kit.flags.current()).mode.phase).toBe(3);
    await kit.replayProcessor().replay(String(created.opId));
    await kit.switcher().change({ next: PHASE_2, changedBy: 'spec', source: 'cli', reason: 'roll back' });

    const [onA, onB] = await bothHold(budgetsEntity, id);
    expect(plain(onA)).toEqual(plain(created.data));
    expect(onB).toEqual(onA);
  });

  it('2. a replay racing a newer write copies the newest row, never the owed one', async () => {
    await kit.setFlags(PHASE_2);
    const ownerId = await kit.owner();
    const first = await kit.engine({ b: kit.unreachableSupabase() }).create({ entity: 'budgets' }, kit.budget(ownerId, { name: 'v1' }));
    const id = String(first.data['id']);
    const newer = await kit.engine({ secondaryTimeoutMs: 3_000 }).update({ entity: 'budgets' }, id, { name: 'v2' });

    await kit.replayProcessor().replay(String(first.opId));

    const [onA, onB] = await bothHold(budgetsEntity, id);
    expect(onA).toMatchObject({ name: 'v2' });
    expect(onB).toEqual(onA);
    expect(plain(onA)).toEqual(plain(newer.data));
    await expect(kit.ledger.get(String(first.opId))).resolves.toMatchObject({ status: 'applied' });
  });

  it('2b. a replay after a newer delete does not resurrect the row', async () => {
    await kit.setFlags(PHASE_2);
    const owed = await kit.engine({ b: kit.unreachableSupabase() }).create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(owed.data['id']);
    await kit.engine({ secondaryTimeoutMs: 3_000 }).delete({ entity: 'budgets' }, id);

    await kit.replayProcessor().replay(String(owed.opId));

    await expect(bothHold(budgetsEntity, id)).resolves.toEqual([null, null]);
  });

  it('3. two updates of one key whose secondary calls land out of order leave store B with the newer one', async () => {
    await kit.setFlags(PHASE_2);
    const ownerId = await kit.owner();
    const created = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(ownerId, { name: 'v0' }));
    const id = String(created.data['id']);
    const engine = kit.engine({ b: withUpsertDelays(kit.supabase, [400, 0]), secondaryTimeoutMs: 0 });

    await engine.update({ entity: 'budgets' }, id, { name: 'v1' });
    await engine.update({ entity: 'budgets' }, id, { name: 'v2' });
    await engine.drain();

    const [onA, onB] = await bothHold(budgetsEntity, id);
    expect(onA).toMatchObject({ name: 'v2' });
    expect(onB).toEqual(onA);
  });

  it('3b. a create whose secondary call lands after the delete leaves no row on store B', async () => {
    await kit.setFlags(PHASE_2);
    const engine = kit.engine({ b: withUpsertDelays(kit.supabase, [400]), secondaryTimeoutMs: 0, insertBatcher: undefined });

    const created = await engine.create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(created.data['id']);
    await engine.delete({ entity: 'budgets' }, id);
    await engine.drain();

    await expect(bothHold(budgetsEntity, id)).resolves.toEqual([null, null]);
  });

  it('4. a process with stale phase 2 flags cannot write with the old roles after a flip to phase 3', async () => {
    await kit.setFlags(PHASE_2);
    // Redis unreachable: this process hears of no change and trusts its cached flags for a minute.
    const staleFlags = new FlagService(new FlagRepository(kit.pool), { redisUrl: 'redis://127.0.0.1:1', cacheTtlMs: 60_000 });
    try {
      expect((await staleFlags.current()).mode.phase).toBe(2);
      await kit.switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' });

      const written = await kit.engine({ flags: staleFlags, secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner()));

      expect(written.mode).toBe('dual-primary-b');
      await expect(kit.ledger.get(String(written.opId))).resolves.toMatchObject({ primaryStore: 'supabase', secondaryStore: 'prisma', status: 'applied' });
      const [onA, onB] = await bothHold(budgetsEntity, String(written.data['id']));
      expect(onA).toEqual(onB);
    } finally {
      await staleFlags.close();
    }
  });

  it('5. serial keys handed out before and after a flip to phase 3 never collide', async () => {
    await kit.setFlags(PHASE_2);
    const ownerId = await kit.owner();
    const engine = kit.engine({ secondaryTimeoutMs: 3_000 });
    const post = await engine.create({ entity: 'posts' }, { authorId: ownerId, title: 'serial keys', body: 'across a flip' });
    const beforeFlip = await engine.create({ entity: 'comments' }, { postId: post.data['id'], authorId: ownerId, body: 'from store A' });
    await kit.switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' });

    const afterFlip = await engine.create({ entity: 'comments' }, { postId: post.data['id'], authorId: ownerId, body: 'from store B' });

    expect(Number(afterFlip.data['id'])).toBeGreaterThan(Number(beforeFlip.data['id']));
    for (const comment of [beforeFlip.data, afterFlip.data]) {
      const [onA, onB] = await bothHold(commentsEntity, Number(comment['id']));
      expect(plain(onA)).toEqual(plain(comment));
      expect(onB).toEqual(onA);
    }
  });

  it('5b. leaving phase 4, store A hands out no key store B gave alone (the flip raises A sequence first)', async () => {
    await kit.setFlags(PHASE_2);
    const ownerId = await kit.owner();
    const engine = kit.engine({ secondaryTimeoutMs: 3_000 });
    const post = await engine.create({ entity: 'posts' }, { authorId: ownerId, title: 'phase 4 keys', body: 'on B only' });
    await kit.setFlags({ enableDualWrite: false, enableSupabasePrimary: true });
    const onlyOnB = await engine.create({ entity: 'comments' }, { postId: post.data['id'], authorId: ownerId, body: 'phase 4, store B only' });
    await kit.setFlags(PHASE_3);
    await kit.switcher().change({ next: PHASE_2, changedBy: 'spec', source: 'cli', reason: 'back to store A primary' });

    const fromA = await engine.create({ entity: 'comments' }, { postId: post.data['id'], authorId: ownerId, body: 'phase 2, store A assigns' });

    expect(Number(fromA.data['id'])).toBeGreaterThan(Number(onlyOnB.data['id']));
    await expect(kit.supabase.get(commentsEntity, Number(onlyOnB.data['id']))).resolves.toMatchObject({ body: 'phase 4, store B only' });
    const [onA, onB] = await bothHold(commentsEntity, Number(fromA.data['id']));
    expect(onB).toEqual(onA);
  });

  it('6. a retry never reports success for a write on no store, and runs it again once the store is back', async () => {
    await kit.setFlags(PHASE_3);
    const opId = uuidv7();
    const row = kit.budget(await kit.owner(), { id: uuidv7() });
    const storeBDown = kit.engine({ b: kit.unreachableSupabase() });

    await expect(storeBDown.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(storeBDown.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    await storeBDown.drain();
    await expect(storeBDown.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    await storeBDown.drain();
    await expect(bothHold(budgetsEntity, String(row['id']))).resolves.toEqual([null, null]);

    const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, row);

    expect(retried.data).toMatchObject({ id: row['id'], name: row['name'] });
    const [onA, onB] = await bothHold(budgetsEntity, String(row['id']));
    expect(plain(onB)).toEqual(plain(retried.data));
    expect(onA).toEqual(onB);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'applied' });
  });

  it('6b. a primary call its timeout gave up on, landing later, is synced once it has landed (stores agree)', async () => {
    await kit.setFlags(PHASE_2);
    const breakers = new StoreBreakers({ stores: ['prisma', 'supabase'], settings: { callTimeoutMs: 100 } });
    const engine = kit.engine({ a: kit.withSlowWrites(kit.prisma, 400), breakers, insertBatcher: undefined });
    const row = kit.budget(await kit.owner(), { id: uuidv7() });
    const depthBefore = await kit.replayQueue.depth();

    const attempt = await engine.create({ entity: 'budgets' }, row).catch((error: unknown) => error);

    expect(attempt).toBeInstanceOf(StoreUnavailableError);
    // Answered at the timeout; the sync is not queued while the call may still land.
    expect(await kit.replayQueue.depth()).toBe(depthBefore);
    await engine.drain();
    expect(await kit.prisma.get(budgetsEntity, String(row['id']))).toMatchObject({ id: row['id'] });
    expect(await kit.replayQueue.depth()).toBe(depthBefore + 1);
    const [operation] = (await kit.pool.query(`select op_id from dual_write_ops where entity_ids @> array[$1]::text[]`, [row['id']])).rows;
    await kit.replayProcessor().replay(operation.op_id);
    const [onA, onB] = await bothHold(budgetsEntity, String(row['id']));
    expect(onB).toEqual(onA);
    await expect(kit.ledger.get(operation.op_id)).resolves.toMatchObject({ status: 'abandoned' });
  });

  it('6f. a retry of a write dead-lettered before its primary ever answered runs it again: never the first answer of nothing', async () => {
    await kit.setFlags(PHASE_2);
    const opId = uuidv7();
    const row = kit.budget(await kit.owner(), { id: uuidv7() });
    const storeADown = kit.engine({ a: kit.unreachablePrisma(), insertBatcher: undefined });
    await expect(storeADown.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    await storeADown.drain();
    await expect(kit.replayProcessor(1, kit.unreachableSupabase()).replay(opId)).resolves.toMatchObject({ outcome: 'dead' });
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'dead', result: null });

    const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, row);

    expect(retried.data).toMatchObject({ id: row['id'], name: row['name'] });
    const [onA, onB] = await bothHold(budgetsEntity, String(row['id']));
    expect(plain(onA)).toEqual(plain(retried.data));
    expect(onB).toEqual(onA);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'applied' });
  });

  it('7b. a retry of a serial create dead-lettered without its key creates the row: never an empty success', async () => {
    await kit.setFlags(PHASE_2);
    const ownerId = await kit.owner();
    const post = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'posts' }, { authorId: ownerId, title: 'keyless', body: 'dead-lettered comment' });
    const opId = uuidv7();
    const comment = { postId: post.data['id'], authorId: ownerId, body: 'sent again' };
    await kit.ledger.claim({ opId, entity: 'comments', operation: 'create', entityIds: [], payload: comment, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: await kit.flagVersion() });
    await kit.ledger.transition(opId, 'primary_unavailable', { lastError: 'the connection dropped' });
    await kit.replayProcessor().replay(opId);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'dead' });

    const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'comments', opId }, comment);

    expect(retried.data).toMatchObject({ id: expect.any(Number), body: 'sent again' });
    const [onA, onB] = await bothHold(commentsEntity, Number(retried.data['id']));
    expect(plain(onA)).toEqual(plain(retried.data));
    expect(onB).toEqual(onA);
  });

  it('6e. a retry while the first attempt given up on may still land is told to retry shortly, not run beside it', async () => {
    await kit.setFlags(PHASE_2);
    const breakers = new StoreBreakers({ stores: ['prisma', 'supabase'], settings: { callTimeoutMs: 100 } });
    const slow = kit.engine({ a: kit.withSlowWrites(kit.prisma, 400), breakers, insertBatcher: undefined });
    const row = kit.budget(await kit.owner(), { id: uuidv7() });
    const opId = uuidv7();

    await expect(slow.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    const meanwhile = kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, row);

    await expect(meanwhile).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('still in progress') });
    await slow.drain();
    const later = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, row);
    expect(later.data).toMatchObject({ id: row['id'] });
    const [onA, onB] = await bothHold(budgetsEntity, String(row['id']));
    expect(onB).toEqual(onA);
  });

  it('6c. a retried delete whose first attempt landed but lost its answer succeeds: the row is gone on both', async () => {
    await kit.setFlags(PHASE_2);
    const created = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(created.data['id']);
    const opId = uuidv7();

    const lostAnswer = kit.engine({ a: withLostAnswers(kit.prisma), secondaryTimeoutMs: 3_000 });
    await expect(lostAnswer.delete({ entity: 'budgets', opId }, id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await lostAnswer.drain();
    const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).delete({ entity: 'budgets', opId }, id);

    expect(retried.data).toEqual({ id });
    await expect(bothHold(budgetsEntity, id)).resolves.toEqual([null, null]);
  });

  it('6d. a retried create whose first attempt landed but lost its answer succeeds with its row', async () => {
    await kit.setFlags(PHASE_2);
    const row = kit.budget(await kit.owner(), { id: uuidv7() });
    const opId = uuidv7();

    const lostAnswer = kit.engine({ a: withLostAnswers(kit.prisma), secondaryTimeoutMs: 3_000, insertBatcher: undefined });
    await expect(lostAnswer.create({ entity: 'budgets', opId }, row)).rejects.toBeInstanceOf(StoreUnavailableError);
    await lostAnswer.drain();
    const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, row);

    expect(retried.data).toMatchObject({ id: row['id'], name: row['name'] });
    const [onA, onB] = await bothHold(budgetsEntity, String(row['id']));
    expect(onB).toEqual(onA);
  });

  it('6g. a retried create without an id whose first attempt landed but lost its answer gets that row, not a second one', async () => {
    await kit.setFlags(PHASE_2);
    const withoutId = kit.budget(await kit.owner(), { name: `no id ${uuidv7()}` });
    const opId = uuidv7();

    const lostAnswer = kit.engine({ a: withLostAnswers(kit.prisma), secondaryTimeoutMs: 3_000, insertBatcher: undefined });
    await expect(lostAnswer.create({ entity: 'budgets', opId }, withoutId)).rejects.toBeInstanceOf(StoreUnavailableError);
    await lostAnswer.drain();
    const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, withoutId);

    const primary = new Pool({ connectionString: process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary', max: 1 });
    const { rows } = await primary.query<{ id: string }>('select id::text as id from budgets where name = $1', [withoutId['name']]).finally(() => primary.end());
    expect(rows).toEqual([{ id: retried.data['id'] }]);
    const [onA, onB] = await bothHold(budgetsEntity, String(retried.data['id']));
    expect(onB).toEqual(onA);
  });

  it('6h. an operation id reused for another write is refused, naming the first: never its answer for a write that is on no store', async () => {
    await kit.setFlags(PHASE_2);
    const opId = uuidv7();
    const first = kit.budget(await kit.owner());
    const created = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, first);
    const other = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner(), { name: 'untouched' }));

    const reused = kit.engine().update({ entity: 'budgets', opId }, String(other.data['id']), { name: 'reusing the key' });

    await expect(reused).rejects.toBeInstanceOf(ContractViolationError);
    await expect(reused).rejects.toMatchObject({ issues: [{ path: 'Idempotency-Key', message: expect.stringContaining(`already used for a create of budgets ${String(created.data['id'])}`) }] });
    await expect(kit.prisma.get(budgetsEntity, String(other.data['id']))).resolves.toMatchObject({ name: 'untouched' });
    const another = kit.engine().create({ entity: 'budgets', opId }, { ...first, name: 'another name' });
    await expect(another).rejects.toMatchObject({ issues: [{ message: expect.stringContaining('with another payload') }] });
    const sameAgain = await kit.engine().create({ entity: 'budgets', opId }, first);
    expect(sameAgain.data).toMatchObject({ id: created.data['id'] });
  });

  it('7. a serial create left pending by a stopped process is never marked applied without its key', async () => {
    await kit.setFlags(PHASE_2);
    const opId = uuidv7();
    const flagVersion = await kit.flagVersion();
    await kit.ledger.claim({ opId, entity: 'comments', operation: 'create', entityIds: [], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
    await kit.pool.query(`update dual_write_ops set updated_at = now() - interval '11 minutes' where op_id = $1`, [opId]);

    await requeueOwedOperations(kit.ledger, kit.replayQueue, { olderThanMs: 60_000, pendingOlderThanMs: 10 * 60_000 });
    const replay = await kit.replayProcessor().replay(opId);

    expect(replay.outcome).toBe('dead');
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'dead', lastError: expect.stringContaining('key was never learnt') });
  });

  it('7c. a dead serial create whose key nobody learnt refuses the flip until an operator abandons it', async () => {
    await kit.setFlags(PHASE_2);
    const opId = uuidv7();
    await kit.ledger.claim({ opId, entity: 'comments', operation: 'create', entityIds: [], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: await kit.flagVersion() });
    await kit.ledger.transition(opId, 'primary_unavailable', { lastError: 'the connection dropped' });
    await kit.replayProcessor().replay(opId);
    await expect(kit.switcher(500).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' })).rejects.toThrow(/dead/);
    await expect(kit.ledger.dead.requeue(opId, 'operator token')).rejects.toBeInstanceOf(LedgerTransitionError);

    await kit.ledger.dead.abandon(opId, 'operator token', 'reconciliation found no comment from it');

    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'abandoned' });
    await kit.switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' });
  });

  it('8. a write that finishes after the sweep moved it on cannot overwrite the ledger', async () => {
    await kit.setFlags(PHASE_2);
    const opId = uuidv7();
    const flagVersion = await kit.flagVersion();
    await kit.ledger.claim({ opId, entity: 'budgets', operation: 'update', entityIds: [uuidv7()], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
    await kit.pool.query(`update dual_write_ops set updated_at = now() - interval '11 minutes' where op_id = $1`, [opId]);
    await kit.ledger.moveStale(new Date(Date.now() - 10 * 60_000));

    const late = kit.ledger.transition(opId, 'primary_wrote', { result: { name: 'late' } });

    await expect(late).rejects.toBeInstanceOf(LedgerTransitionError);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'primary_unavailable', result: null });
  });

  it('9. a write dead-lettered while store B was down refuses the flip; requeued by an operator once B is back, it reaches B and the flip goes through', async () => {
    await kit.setFlags(PHASE_2);
    const created = await kit.engine({ b: kit.unreachableSupabase(), secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const opId = String(created.opId);
    await expect(kit.replayProcessor(1, kit.unreachableSupabase()).replay(opId)).resolves.toMatchObject({ outcome: 'dead' });
    await expect(kit.switcher(500).change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' })).rejects.toBeInstanceOf(FlipRefusedError);

    await expect(kit.ledger.dead.requeue(opId, 'operator token')).resolves.toBe('secondary_pending');
    await expect(kit.replayProcessor().replay(opId)).resolves.toMatchObject({ outcome: 'applied' });

    const [onA, onB] = await bothHold(budgetsEntity, String(created.data['id']));
    expect(plain(onA)).toEqual(plain(created.data));
    expect(onB).toEqual(onA);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'applied', lastError: null });
    await kit.switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' });
  });

  it('10. a flip sent again after its api died mid-barrier takes a barrier of its own: a write store B still owes keeps store A the primary', async () => {
    await kit.setFlags(PHASE_2);
    const created = await kit.engine({ b: kit.unreachableSupabase(), secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    await expect(kit.ledger.get(String(created.opId))).resolves.toMatchObject({ status: 'secondary_pending' });
    // The first flip's fence, as its api left it when it died waiting for that write.
    await kit.flagRepository.change({ next: PHASE_3, changedBy: 'operator', source: 'api', reason: 'flip', fenced: true, fencedBy: 'api:gone:1:flipper' });
    await kit.pool.query(`update dual_write_flags set updated_at = now() - interval '6 seconds'`);

    const resent = kit.switcher(500).change({ next: PHASE_3, changedBy: 'operator', source: 'api', reason: 'the same flip sent again' });

    await expect(resent).rejects.toThrow(/1 write\(s\) claimed under an older version did not settle/);
    await expect(kit.flagRepository.read()).resolves.toMatchObject({ enableSupabasePrimary: false, fenced: false });
    await expect(kit.replayProcessor().replay(String(created.opId))).resolves.toMatchObject({ outcome: 'applied' });
    const [onA, onB] = await bothHold(budgetsEntity, String(created.data['id']));
    expect(onB).toEqual(onA);
    await expect(kit.switcher().change({ next: PHASE_3, changedBy: 'operator', source: 'api', reason: 'the flip once B has it' })).resolves.toMatchObject({ fenced: true });
  });
});
