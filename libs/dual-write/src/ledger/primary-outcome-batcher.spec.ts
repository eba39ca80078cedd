import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { FlagRepository } from '../flags/flag-repository';
import { OperationLedger } from './operation-ledger';
import { LedgerTransitionError } from './operation-transitions';
import { PrimaryOutcomeBatcher } from './primary-outcome-batcher';

describe('PrimaryOutcomeBatcher: concurrent writes record their primary outcome with one statement', () => {
  let pool: Pool;
  let ledger: OperationLedger;
  let statements: string[];

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_primary_outcome_spec'), max: 4 });
    ledger = new OperationLedger(pool);
  });
  beforeEach(async () => {
    await pool.query('update dual_write_flags set fenced = false');
    statements = [];
  });
  afterAll(() => pool.end());

  /** The pool with every statement it is sent recorded. */
  function counted(): Pool {
    return new Proxy(pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (text: string, values?: unknown[]) => {
          statements.push(text);
          return target.query(text, values);
        };
      },
    });
  }

  async function claimed(): Promise<string> {
    const opId = uuidv7();
    const { version } = await new FlagRepository(pool).read();
    await ledger.claim({ opId, entity: 'budgets', operation: 'create', entityIds: [], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: version });
    return opId;
  }

  it('records ten concurrent writes with at most two statements, each with its own answer and keys', async () => {
    const batcher = new PrimaryOutcomeBatcher(counted(), ledger);
    const opIds = await Promise.all(Array.from({ length: 10 }, () => claimed()));

    const statuses = await Promise.all(opIds.map((opId, index) => batcher.record('primary_wrote', { opId, result: { id: index, note: `it's ${index}` }, entityIds: [`key-${index}`] })));

    expect(statuses).toEqual(opIds.map(() => 'primary_done'));
    expect(statements.length).toBeLessThanOrEqual(2);
    const records = await Promise.all(opIds.map((opId) => ledger.get(opId)));
    expect(records.map((record) => [record?.result, record?.entityIds])).toEqual(opIds.map((_opId, index) => [{ id: index, note: `it's ${index}` }, [`key-${index}`]]));
  });

  it('a single-store write goes straight to applied with what the alert rules read', async () => {
    const batcher = new PrimaryOutcomeBatcher(pool, ledger);
    const opId = await claimed();
    const observation = { primaryOutcome: 'ok' as const, secondaryOutcome: null, primaryLatencyMs: 5, secondaryLatencyMs: null, pathLatencyMs: 8 };

    await expect(batcher.record('primary_wrote_alone', { opId, result: { id: 1 }, entityIds: ['1'], observation })).resolves.toBe('applied');

    const { rows } = await pool.query('select primary_outcome, primary_latency_ms, path_latency_ms from dual_write_ops where op_id = $1', [opId]);
    expect(rows[0]).toEqual({ primary_outcome: 'ok', primary_latency_ms: 5, path_latency_ms: 8 });
  });

  it('an operation no longer pending gets the state machine refusal naming its status, the others of its batch still move', async () => {
    const batcher = new PrimaryOutcomeBatcher(pool, ledger);
    const [moved, rejected] = [await claimed(), await claimed()];
    await ledger.transition(rejected, 'primary_rejected', { lastError: 'conflict' });

    const outcomes = await Promise.allSettled([
      batcher.record('primary_wrote', { opId: moved, result: null, entityIds: ['a'] }),
      batcher.record('primary_wrote', { opId: rejected, result: null, entityIds: ['b'] }),
    ]);

    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'primary_done' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(LedgerTransitionError) });
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toContain(`operation ${rejected} is rejected`);
  });
});
