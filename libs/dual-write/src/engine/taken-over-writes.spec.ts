import { v7 as uuidv7 } from 'uuid';
import { budgetsEntity, commentsEntity } from '@dualwrite/example-domain';
import type { Row, StorePlugin } from '@dualwrite/stores';
import { FlipRefusedError } from '../flags/flag-switcher';
import type { DualWriteEngine } from './dual-write-engine';
import { requeueOwedOperations } from '../replay/ledger-sweep';
import { eventually, exampleTestDomain } from '@dualwrite/testing';
import { EngineTestKit } from '../../test/engine-test-kit';

/**
 * Scenario 8 continued (PROTOCOL.md, step 8): a process paused between its claim and its primary call past the
 * sweep's grace, whose write lands after the sweep took its operation over. On real PostgreSQL, supabase-local
 * and Redis; each ends with both stores holding the same rows, and the caller told to retry.
 */
const PHASE_2 = { enableDualWrite: true, enableSupabasePrimary: false };
const PHASE_3 = { enableDualWrite: true, enableSupabasePrimary: true };

describe('late writes after a takeover (real stores)', () => {
  const kit = new EngineTestKit(exampleTestDomain);

  beforeAll(() => kit.start('dw_control_late_writes_spec'));
  afterAll(() => kit.stop());
  beforeEach(() => kit.pool.query('truncate dual_write_ops'));

  async function bothHold(key: string): Promise<[Row | null, Row | null]> {
    return [await kit.prisma.get(budgetsEntity, key), await kit.supabase.get(budgetsEntity, key)];
  }

  /**
   * Store A holding every `method` call until `resume()`: its process paused between the claim and the primary call.
   * `landed` collects what the held calls returned.
   */
  function pausedPrimary(method: 'insert' | 'update' | 'delete'): { store: StorePlugin; resume: () => void; landed: unknown[] } {
    let resume: () => void = () => undefined;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    const landed: unknown[] = [];
    const store = Object.create(kit.prisma) as StorePlugin;
    const call = kit.prisma[method].bind(kit.prisma) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(store, { [method]: async (...args: unknown[]) => (await paused, landed.push(await call(...args)), landed.at(-1)) });
    return { store, resume, landed };
  }

  /** Its process silent past the rule, the sweep takes the pending operation over and the replay settles it. */
  async function takenOverWhilePaused(opId: string): Promise<void> {
    await eventually(async () => ((await kit.ledger.get(opId))?.status === 'pending' ? true : undefined));
    await kit.pool.query(`update dual_write_ops set updated_at = now() - interval '11 minutes' where op_id = $1`, [opId]);
    await requeueOwedOperations(kit.ledger, kit.replayQueue, { olderThanMs: 60_000, pendingOlderThanMs: 10 * 60_000 });
    await kit.replayProcessor().replay(opId);
  }

  /**
   * Phase 2: `write` (under a fresh operation id) sent by a process whose `method` call on store A is held, taken
   * over meanwhile. `answer` is what its caller gets once `paused.resume()` lets the call land.
   */
  async function lateWrite(
    method: 'insert' | 'update' | 'delete',
    write: (engine: DualWriteEngine, opId: string) => Promise<unknown>,
  ): Promise<{ opId: string; engine: DualWriteEngine; paused: ReturnType<typeof pausedPrimary>; answer: Promise<unknown> }> {
    const opId = uuidv7();
    const paused = pausedPrimary(method);
    const engine = kit.engine({ a: paused.store, insertBatcher: undefined });
    const answer = write(engine, opId).catch((error: unknown) => error);
    await takenOverWhilePaused(opId);
    return { opId, engine, paused, answer };
  }

  const flipToPhase3 = () => kit.switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'store B becomes primary while the writer is paused' });

  it('8b. a process paused between its claim and its primary call, taken over meanwhile, syncs its late write: the stores agree', async () => {
    await kit.setFlags(PHASE_2);
    const row = kit.budget(await kit.owner(), { id: uuidv7() });
    const id = String(row['id']);
    const { opId, engine, paused, answer } = await lateWrite('insert', (writer, opId) => writer.create({ entity: 'budgets', opId }, row));
    // The replay found the write on no store.
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'abandoned' });
    paused.resume();

    await expect(answer).resolves.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('taken over') });
    await engine.drain();
    const [onA, onB] = await bothHold(id);
    expect(onA).toMatchObject({ id });
    expect(onB).toEqual(onA);
    const retried = await kit.engine().create({ entity: 'budgets', opId }, row);
    expect(retried.data).toMatchObject({ id, name: row['name'] });
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'applied' });
    expect(await bothHold(id)).toEqual([onA, onB]);
  });

  it('8c. a paused delete landing after the takeover deletes on store B too: the reopened operation proves the delete', async () => {
    await kit.setFlags(PHASE_2);
    const created = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(created.data['id']);
    const { opId, paused, answer } = await lateWrite('delete', (writer, opId) => writer.delete({ entity: 'budgets', opId }, id));
    await expect(bothHold(id)).resolves.toEqual([expect.objectContaining({ id }), expect.objectContaining({ id })]);
    paused.resume();

    await expect(answer).resolves.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('synced from it') });
    await expect(bothHold(id)).resolves.toEqual([null, null]);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'abandoned' });
  });

  it('8d. an update landing after the takeover and a flip of the primary is undone on store A: the flipped write stays on both', async () => {
    await kit.setFlags(PHASE_2);
    const created = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(created.data['id']);
    const { opId, paused, answer } = await lateWrite('update', (writer, opId) => writer.update({ entity: 'budgets', opId }, id, { name: 'paused phase 2 write' }));
    await flipToPhase3();
    const flipped = await kit.engine().update({ entity: 'budgets' }, id, { name: 'acknowledged in phase 3' });
    paused.resume();

    await expect(answer).resolves.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('undone there') });
    const [onA, onB] = await bothHold(id);
    expect(onB).toMatchObject({ name: flipped.data['name'] });
    expect(onA).toEqual(onB);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'abandoned' });
  });

  it('8e. a create landing on store A after the takeover and a flip leaves no row there that store B never held; the retry creates it on both', async () => {
    await kit.setFlags(PHASE_2);
    const row = kit.budget(await kit.owner(), { id: uuidv7() });
    const id = String(row['id']);
    const { opId, paused, answer } = await lateWrite('insert', (writer, opId) => writer.create({ entity: 'budgets', opId }, row));
    await flipToPhase3();
    paused.resume();

    await expect(answer).resolves.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('undone there') });
    await expect(bothHold(id)).resolves.toEqual([null, null]);
    const retried = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'budgets', opId }, row);
    const [onA, onB] = await bothHold(id);
    expect(onB).toMatchObject({ id, name: retried.data['name'] });
    expect(onA).toEqual(onB);
  });

  it('8f. a delete landing on store A after the takeover and a flip is undone there: store B kept the row, store A has it back', async () => {
    await kit.setFlags(PHASE_2);
    const created = await kit.engine().create({ entity: 'budgets' }, kit.budget(await kit.owner()));
    const id = String(created.data['id']);
    const { paused, answer } = await lateWrite('delete', (writer, opId) => writer.delete({ entity: 'budgets', opId }, id));
    await flipToPhase3();
    paused.resume();

    await expect(answer).resolves.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('undone there') });
    const [onA, onB] = await bothHold(id);
    expect(onB).toMatchObject({ id });
    expect(onA).toEqual(onB);
  });

  it('8g. a serial create whose key nobody learnt is dead and refuses a flip; landing late, its key is learnt and synced, and the flip goes through', async () => {
    await kit.setFlags(PHASE_2);
    const ownerId = await kit.owner();
    const post = await kit.engine({ secondaryTimeoutMs: 3_000 }).create({ entity: 'posts' }, { authorId: ownerId, title: 'late comment', body: 'keyless until it lands' });
    const comment = { postId: post.data['id'], authorId: ownerId, body: 'paused phase 2 comment' };
    const { opId, paused, answer } = await lateWrite('insert', (writer, opId) => writer.create({ entity: 'comments', opId }, comment));
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'dead' });
    await expect(kit.switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' })).rejects.toBeInstanceOf(FlipRefusedError);
    paused.resume();

    await expect(answer).resolves.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('synced from it') });
    const key = Number((paused.landed[0] as Row)['id']);
    const [onA, onB] = await Promise.all([kit.prisma.get(commentsEntity, key), kit.supabase.get(commentsEntity, key)]);
    expect(onA).toMatchObject({ body: 'paused phase 2 comment' });
    expect(onB).toEqual(onA);
    await expect(kit.ledger.get(opId)).resolves.toMatchObject({ status: 'abandoned', entityIds: [String(key)] });
    await kit.switcher().change({ next: PHASE_3, changedBy: 'spec', source: 'cli', reason: 'flip' });
  });
});
