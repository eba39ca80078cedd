import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { FlagRepository } from '../flags/flag-repository';
import { FlagsMovedError, OperationLedger, type LedgerPage, type LedgerPageCursor, type NewOperation } from './operation-ledger';
import { LedgerTransitionError, OPEN_STATUSES, OPERATION_STATUSES } from './operation-transitions';

describe('OperationLedger', () => {
  let pool: Pool;
  let ledger: OperationLedger;
  let flags: FlagRepository;
  let version: number;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_ledger_spec'), max: 4 });
    ledger = new OperationLedger(pool);
    flags = new FlagRepository(pool);
  });

  beforeEach(async () => {
    await pool.query('truncate dual_write_ops');
    await pool.query('update dual_write_flags set fenced = false');
    version = (await flags.read()).version;
  });

  afterAll(async () => {
    await pool.end();
  });

  function newOperation(overrides: Partial<NewOperation> = {}): NewOperation {
    return {
      opId: uuidv7(),
      entity: 'budgets',
      operation: 'create',
      entityIds: [uuidv7()],
      payload: { name: 'Rent', amount: '900.00' },
      primaryStore: 'prisma',
      secondaryStore: 'supabase',
      flagVersion: version,
      ...overrides,
    };
  }

  it('marks exactly the open statuses open (the column the open-operation indexes use)', async () => {
    for (const status of OPERATION_STATUSES) {
      const operation = newOperation();
      await ledger.claim(operation);
      await pool.query('update dual_write_ops set status = $2 where op_id = $1', [operation.opId, status]);
      const stored = await pool.query<{ open: boolean }>('select open from dual_write_ops where op_id = $1', [operation.opId]);
      expect({ status, open: stored.rows[0]?.open }).toEqual({ status, open: OPEN_STATUSES.includes(status) });
    }
  });

  it('records the primary\'s outcome as a HOT update: no new index entries for the write the caller waits on', async () => {
    const operation = newOperation();
    await ledger.claim(operation);
    const hotUpdates = async () => {
      await pool.query('select pg_stat_force_next_flush()');
      const { rows } = await pool.query<{ n: string }>(`select n_tup_hot_upd as n from pg_stat_user_tables where relname = 'dual_write_ops'`);
      return Number(rows[0]?.n ?? 0);
    };
    const before = await hotUpdates();

    await ledger.transition(operation.opId, 'primary_wrote', { result: { id: operation.entityIds[0] }, entityIds: operation.entityIds });

    expect(await hotUpdates()).toBe(before + 1);
  });

  it('claims a new operation as pending, with the flag version it was planned under', async () => {
    const operation = newOperation();

    const { created, record } = await ledger.claim(operation);

    expect(created).toBe(true);
    expect(record).toMatchObject({ ...operation, status: 'pending', attempts: 0, result: null, lastError: null, flagVersion: version });
  });

  it('a second claim of the same opId returns the first record and its stored result', async () => {
    const operation = newOperation();
    await ledger.claim(operation);
    await ledger.transition(operation.opId, 'primary_wrote_alone', { result: { id: operation.entityIds[0], amount: '900' } });

    const again = await ledger.claim({ ...operation, payload: { name: 'Changed?' } });

    expect(again.created).toBe(false);
    expect(again.record).toMatchObject({ status: 'applied', payload: operation.payload, result: { id: operation.entityIds[0], amount: '900' } });
  });

  it('of concurrent claims of one opId exactly one creates it', async () => {
    const operation = newOperation();

    const claims = await Promise.all([1, 2, 3, 4].map(() => ledger.claim(operation)));

    expect(claims.filter((claim) => claim.created)).toHaveLength(1);
  });

  it('refuses a claim planned under a flag version that is no longer current, and writes nothing', async () => {
    const operation = newOperation({ flagVersion: version - 1 });

    await expect(ledger.claim(operation)).rejects.toBeInstanceOf(FlagsMovedError);
    await expect(ledger.get(operation.opId)).resolves.toBeNull();
  });

  it('refuses every claim while a flip fences the current version', async () => {
    await pool.query('update dual_write_flags set fenced = true');
    const operation = newOperation();

    await expect(ledger.claim(operation)).rejects.toBeInstanceOf(FlagsMovedError);
    await expect(ledger.get(operation.opId)).resolves.toBeNull();
  });

  it('keeps a write the secondary still owes, with its attempts, until a sync applies it', async () => {
    const operation = newOperation();
    await ledger.claim(operation);
    await ledger.transition(operation.opId, 'primary_wrote', { result: { id: operation.entityIds[0] } });
    await ledger.transition(operation.opId, 'secondary_failed', { lastError: new Error('supabase unavailable') });

    const attempts = await ledger.recordFailedAttempt(operation.opId, new Error('still down'));
    const owed = await ledger.listByStatus('secondary_pending', 10_000);
    await ledger.transition(operation.opId, 'secondary_synced', { lastError: null });
    const after = await ledger.get(operation.opId);

    expect(attempts).toBe(1);
    expect(owed.map((record) => record.opId)).toContain(operation.opId);
    expect(after).toMatchObject({ status: 'applied', attempts: 1, lastError: null, result: { id: operation.entityIds[0] } });
  });

  it('applies an event only from a status that accepts it, and names the status it met', async () => {
    const operation = newOperation();
    await ledger.claim(operation);
    await ledger.transition(operation.opId, 'primary_wrote_alone', {});

    const late = ledger.transition(operation.opId, 'secondary_failed', { lastError: 'a late failure' });

    await expect(late).rejects.toThrow(new LedgerTransitionError(operation.opId, 'applied', 'secondary_failed'));
    await expect(ledger.get(operation.opId)).resolves.toMatchObject({ status: 'applied', lastError: null });
  });

  it('of two concurrent events on one operation exactly one applies', async () => {
    const operation = newOperation();
    await ledger.claim(operation);

    const results = await Promise.allSettled([ledger.transition(operation.opId, 'primary_wrote', {}), ledger.transition(operation.opId, 'primary_rejected', {})]);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses an event for an opId that was never claimed, naming it', async () => {
    const unknown = uuidv7();

    await expect(ledger.transition(unknown, 'secondary_synced')).rejects.toThrow(`operation ${unknown} is not in the ledger (event secondary_synced)`);
  });

  it('runs an operation of unknown outcome again on a retry, under the current flags', async () => {
    const operation = newOperation();
    await ledger.claim(operation);
    await ledger.transition(operation.opId, 'primary_unavailable', { lastError: 'timed out' });

    const again = await ledger.reclaim({ ...operation, payload: { name: 'Rent', amount: '901.00' } });

    expect(again).toMatchObject({ status: 'pending', payload: { name: 'Rent', amount: '901.00' }, lastError: null, flagVersion: version });
    await expect(ledger.reclaim(operation)).rejects.toBeInstanceOf(LedgerTransitionError);
  });

  it('reopens an abandoned operation whose write landed late, only under the current unfenced version', async () => {
    const abandoned = async () => {
      const operation = newOperation();
      await ledger.claim(operation);
      await ledger.transition(operation.opId, 'primary_unavailable', { lastError: 'taken over' });
      await ledger.transition(operation.opId, 'secondary_synced', {});
      return operation;
    };
    const [stale, fenced, reopened] = [await abandoned(), await abandoned(), await abandoned()];

    await expect(ledger.reopenLanded(stale.opId, version - 1, stale.entityIds, 'landed late')).resolves.toBe(false);
    await pool.query('update dual_write_flags set fenced = true');
    await expect(ledger.reopenLanded(fenced.opId, version, fenced.entityIds, 'landed late')).resolves.toBe(false);
    await pool.query('update dual_write_flags set fenced = false');
    await expect(ledger.reopenLanded(reopened.opId, version, reopened.entityIds, 'landed late')).resolves.toBe(true);
    await expect(ledger.reopenLanded(reopened.opId, version, reopened.entityIds, 'landed late')).resolves.toBe(false);

    expect((await ledger.get(stale.opId))?.status).toBe('abandoned');
    expect((await ledger.get(fenced.opId))?.status).toBe('abandoned');
    expect(await ledger.get(reopened.opId)).toMatchObject({ status: 'primary_unavailable', flagVersion: version, lastError: 'landed late', entityIds: reopened.entityIds });
  });

  it("an operator's requeue of a dead operation: owed again when the primary answered, of unknown outcome when not; refused for a keyless one or one not dead", async () => {
    const dead = async (operation: NewOperation, answered: boolean) => {
      await ledger.claim(operation);
      if (answered) {
        await ledger.transition(operation.opId, 'primary_wrote', { result: { name: 'on the primary' } });
        await ledger.transition(operation.opId, 'secondary_failed', { lastError: 'store B failed' });
      } else {
        await ledger.transition(operation.opId, 'primary_unavailable', { lastError: 'store A timed out' });
      }
      await ledger.recordFailedAttempt(operation.opId, 'store B still failing');
      await ledger.transition(operation.opId, 'replay_gave_up', { lastError: 'store B still failing' });
      return operation.opId;
    };
    const owed = await dead(newOperation(), true);
    const unanswered = await dead(newOperation(), false);
    const keyless = await dead(newOperation({ entity: 'comments', entityIds: [] }), false);

    await expect(ledger.dead.requeue(owed, 'operator token')).resolves.toBe('secondary_pending');
    await expect(ledger.dead.requeue(unanswered, 'operator token')).resolves.toBe('primary_unavailable');
    await expect(ledger.dead.requeue(keyless, 'operator token')).rejects.toMatchObject({ status: 'dead' });
    await expect(ledger.dead.requeue(owed, 'operator token')).rejects.toMatchObject({ status: 'secondary_pending' });

    expect(await ledger.get(owed)).toMatchObject({ status: 'secondary_pending', attempts: 0, lastError: 'requeued by operator token after: store B still failing', result: { name: 'on the primary' } });
    expect(await ledger.get(unanswered)).toMatchObject({ status: 'primary_unavailable', attempts: 0 });
    expect(await ledger.get(keyless)).toMatchObject({ status: 'dead' });
  });

  it('reopens or runs again a dead operation only when its primary never answered', async () => {
    const keyless = newOperation({ entity: 'comments', entityIds: [] });
    await ledger.claim(keyless);
    await ledger.transition(keyless.opId, 'primary_unavailable', { lastError: 'the connection dropped' });
    await ledger.transition(keyless.opId, 'replay_gave_up', { lastError: 'key never learnt' });
    const owed = newOperation();
    await ledger.claim(owed);
    await ledger.transition(owed.opId, 'primary_wrote', { result: { name: 'on the primary' } });
    await ledger.transition(owed.opId, 'secondary_failed', { lastError: 'store B failed' });
    await ledger.transition(owed.opId, 'replay_gave_up', { lastError: 'store B failed' });
    const rerun = (operation: NewOperation) => ledger.reclaim({ ...operation, secondaryStore: operation.secondaryStore ?? null });

    await expect(ledger.reopenLanded(owed.opId, version, owed.entityIds, 'landed late')).resolves.toBe(false);
    await expect(rerun(owed)).rejects.toBeInstanceOf(LedgerTransitionError);
    await expect(ledger.reopenLanded(keyless.opId, version, ['101'], 'landed late')).resolves.toBe(true);

    expect(await ledger.get(owed.opId)).toMatchObject({ status: 'dead', result: { name: 'on the primary' } });
    expect(await ledger.get(keyless.opId)).toMatchObject({ status: 'primary_unavailable', entityIds: ['101'] });
  });

  it('moves operations left pending or primary_done by a stopped process on, so a replay syncs them', async () => {
    const unknown = newOperation();
    const owed = newOperation();
    const fresh = newOperation();
    for (const operation of [unknown, owed, fresh]) await ledger.claim(operation);
    await ledger.transition(owed.opId, 'primary_wrote', {});
    await pool.query(`update dual_write_ops set updated_at = now() - interval '20 minutes' where op_id = any($1)`, [[unknown.opId, owed.opId]]);

    const moved = await ledger.moveStale(new Date(Date.now() - 10 * 60_000));

    expect(moved.sort()).toEqual([unknown.opId, owed.opId].sort());
    await expect(ledger.get(unknown.opId)).resolves.toMatchObject({ status: 'primary_unavailable' });
    await expect(ledger.get(owed.opId)).resolves.toMatchObject({ status: 'secondary_pending' });
    await expect(ledger.get(fresh.opId)).resolves.toMatchObject({ status: 'pending' });
  });

  describe('operations left open by a process that stopped reporting', () => {
    const GRACE_MS = 60_000;
    const live = `api:spec:live:${uuidv7()}`;
    const stopped = `api:spec:stopped:${uuidv7()}`;

    beforeEach(async () => {
      await pool.query('delete from dual_write_processes where process_id = any($1)', [[live, stopped]]);
      const reported = `insert into dual_write_processes (process_id, kind, flag_version, seen_at) values ($1, 'api', $2, now() - make_interval(secs => $3))`;
      await pool.query(reported, [live, version, 0]);
      await pool.query(reported, [stopped, version, 90]);
    });

    async function leftFor(seconds: number, claimedBy: string | null, status: 'pending' | 'primary_done'): Promise<string> {
      const operation = newOperation({ claimedBy });
      await ledger.claim(operation);
      if (status === 'primary_done') await ledger.transition(operation.opId, 'primary_wrote', {});
      await pool.query(`update dual_write_ops set updated_at = now() - make_interval(secs => $2) where op_id = $1`, [operation.opId, seconds]);
      return operation.opId;
    }

    it('records the claiming process on a claim and on a retry (a batched claim: claim-batcher.spec.ts)', async () => {
      const operation = newOperation({ claimedBy: live });
      await ledger.claim(operation);
      await expect(ledger.get(operation.opId)).resolves.toMatchObject({ claimedBy: live });

      await ledger.transition(operation.opId, 'primary_unavailable', { lastError: 'timed out' });
      await expect(ledger.reclaim({ ...operation, claimedBy: stopped })).resolves.toMatchObject({ status: 'pending', claimedBy: stopped });
    });

    it('moves them on once their process has not reported for the grace, and not before', async () => {
      const unknown = await leftFor(90, stopped, 'pending');
      const owed = await leftFor(90, stopped, 'primary_done');
      const movedJustNow = await leftFor(30, stopped, 'primary_done');

      const moved = await ledger.moveLeftByStoppedProcesses(GRACE_MS);

      expect(moved.sort()).toEqual([unknown, owed].sort());
      await expect(ledger.get(unknown)).resolves.toMatchObject({
        status: 'primary_unavailable',
        lastError: `left pending by process ${stopped}, which stopped; the replay syncs its keys from the primary`,
      });
      await expect(ledger.get(owed)).resolves.toMatchObject({ status: 'secondary_pending' });
      await expect(ledger.get(movedJustNow)).resolves.toMatchObject({ status: 'primary_done' });
    });

    it('takes over the operations of a process that removed itself (stopped after its drain gave up)', async () => {
      const gone = `api:spec:gone:${uuidv7()}`;
      const left = await leftFor(90, gone, 'primary_done');

      await expect(ledger.moveLeftByStoppedProcesses(GRACE_MS)).resolves.toEqual([left]);
    });

    it('leaves the operations of a process that still reports, however old, and those with no process recorded', async () => {
      const ofLiveProcess = await leftFor(20 * 60, live, 'pending');
      const unrecorded = await leftFor(20 * 60, null, 'primary_done');

      await expect(ledger.moveLeftByStoppedProcesses(GRACE_MS)).resolves.toEqual([]);
      await expect(ledger.get(ofLiveProcess)).resolves.toMatchObject({ status: 'pending' });
      await expect(ledger.get(unrecorded)).resolves.toMatchObject({ status: 'primary_done' });
    });

    it('refuses a grace that is not a whole number of milliseconds, naming it', async () => {
      await expect(ledger.moveLeftByStoppedProcesses(-1)).rejects.toThrow('graceMs must be a whole number of milliseconds, got -1');
    });
  });

  it('pages through owed operations oldest first, each once, also where a group commit gave many one created_at', async () => {
    const owed = Array.from({ length: 10 }, () => newOperation());
    const fresh = newOperation();
    for (const operation of [...owed, fresh]) {
      await ledger.claim(operation);
      await ledger.transition(operation.opId, 'primary_wrote', {});
      await ledger.transition(operation.opId, 'secondary_failed', { lastError: new Error('supabase unavailable') });
    }
    const sharing = owed.slice(0, 7).map((operation) => operation.opId);
    await pool.query(`update dual_write_ops set created_at = '2026-11-30 10:00:00.123456+00' where op_id = any($1)`, [sharing]);
    await pool.query(`update dual_write_ops set updated_at = now() - interval '5 minutes' where op_id = any($1)`, [owed.map((operation) => operation.opId)]);

    const seen: string[] = [];
    let after: LedgerPageCursor | null = null;
    let pages = 0;
    do {
      const page: LedgerPage = await ledger.pageOpenByStatus('secondary_pending', 3, new Date(Date.now() - 60_000), after);
      seen.push(...page.operations.map((operation) => operation.opId));
      after = page.next;
      pages += 1;
    } while (after !== null && pages < 10);

    expect(seen).toHaveLength(10);
    expect(new Set(seen)).toEqual(new Set(owed.map((operation) => operation.opId)));
    expect(seen.slice(0, 7)).toEqual([...sharing].sort());
    expect(pages).toBe(4);
  });

  it('refuses to page a status that is not open, naming it', async () => {
    await expect(ledger.pageOpenByStatus('applied', 10, new Date(), null)).rejects.toThrow('applied is not one');
  });

  it('proves a delete only by the newest operation on the key that the primary holds', async () => {
    const key = uuidv7();
    const create = newOperation({ entityIds: [key] });
    const remove = newOperation({ entityIds: [key], operation: 'delete' });
    const failedUpdate = newOperation({ entityIds: [key], operation: 'update' });
    for (const operation of [create, remove, failedUpdate]) await ledger.claim(operation);
    await ledger.transition(create.opId, 'primary_wrote', {});
    expect(await ledger.latestHeldOperation('budgets', key)).toEqual({ opId: create.opId, operation: 'create' });

    await ledger.transition(remove.opId, 'primary_wrote', {});
    await ledger.transition(failedUpdate.opId, 'primary_rejected', { lastError: 'not found' });

    expect(await ledger.latestHeldOperation('budgets', key)).toEqual({ opId: remove.opId, operation: 'delete' });
    expect(await ledger.latestHeldOperation('budgets', uuidv7())).toBeNull();
  });

  it('proves a delete also by a delete of the key still unsettled: claimed before an update, it may land after it', async () => {
    const key = uuidv7();
    const remove = newOperation({ entityIds: [key], operation: 'delete' });
    const update = newOperation({ entityIds: [key], operation: 'update' });
    await ledger.claim(remove);
    await ledger.claim(update);
    await ledger.transition(update.opId, 'primary_wrote', {});
    await ledger.transition(update.opId, 'secondary_synced', {});

    await expect(ledger.deleteProven('budgets', key)).resolves.toMatchObject({ proven: true, latest: { opId: update.opId, operation: 'update' } });
    await ledger.transition(remove.opId, 'primary_rejected', { lastError: 'not found' });
    await expect(ledger.deleteProven('budgets', key)).resolves.toMatchObject({ proven: false });
  });

  it('lists the writes a flip must wait for: claimed under older versions, not yet on both stores or of unknown outcome', async () => {
    const inFlight = newOperation();
    const owed = newOperation();
    const applied = newOperation();
    const unknown = newOperation();
    for (const operation of [inFlight, owed, applied, unknown]) await ledger.claim(operation);
    await ledger.transition(owed.opId, 'primary_wrote', {});
    await ledger.transition(owed.opId, 'secondary_failed', {});
    await ledger.transition(applied.opId, 'primary_wrote_alone', {});
    await ledger.transition(unknown.opId, 'primary_unavailable', {});

    const old = await ledger.unsettledBefore(version + 1);

    expect(old).toMatchObject({ unsettled: 3, dead: 0 });
    expect(old.sample.map((operation) => operation.opId).sort()).toEqual([inFlight.opId, owed.opId, unknown.opId].sort());
    await expect(ledger.unsettledBefore(version)).resolves.toMatchObject({ unsettled: 0, dead: 0 });
  });
});
