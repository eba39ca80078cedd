import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { FlagRepository } from '../flags/flag-repository';
import { ClaimBatcher } from './claim-batcher';
import { FlagsMovedError, OperationLedger, type NewOperation } from './operation-ledger';

describe('ClaimBatcher: concurrent writes claimed with one insert, each on its own flag condition', () => {
  let pool: Pool;
  let ledger: OperationLedger;
  let inserts: number;
  let version: number;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_claim_batcher_spec'), max: 4 });
    ledger = new OperationLedger(pool);
  });
  beforeEach(async () => {
    await pool.query('update dual_write_flags set fenced = false');
    version = (await new FlagRepository(pool).read()).version;
    inserts = 0;
  });
  afterAll(() => pool.end());

  /** The pool with its inserts into the ledger counted. */
  function counted(): Pool {
    return new Proxy(pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (text: string, values?: unknown[]) => {
          if (/insert into dual_write_ops/.test(text)) inserts += 1;
          return target.query(text, values);
        };
      },
    });
  }

  function operation(overrides: Partial<NewOperation> = {}): NewOperation {
    return {
      opId: uuidv7(),
      entity: 'budgets',
      operation: 'update',
      entityIds: [uuidv7()],
      payload: { name: "it's rent", amount: '900.00' },
      primaryStore: 'prisma',
      secondaryStore: 'supabase',
      mode: 'dual-primary-a',
      flagVersion: version,
      claimedBy: 'api:claim-batcher-spec',
      ...overrides,
    };
  }

  it('claims ten concurrent writes with at most two inserts, each recorded as pending (with its process) as a claim of its own would be', async () => {
    const batcher = new ClaimBatcher(counted(), ledger);
    const operations = Array.from({ length: 10 }, () => operation());

    const outcomes = await Promise.all(operations.map((each) => batcher.claim(each)));

    expect(outcomes).toEqual(operations.map(() => ({ created: true })));
    expect(inserts).toBeLessThanOrEqual(2);
    for (const each of operations) {
      await expect(ledger.get(each.opId)).resolves.toMatchObject({ ...each, status: 'pending', attempts: 0, result: null });
    }
  });

  it('a retried opId in a batch gets the record already there, the others are claimed', async () => {
    const batcher = new ClaimBatcher(pool, ledger);
    const first = operation();
    await ledger.claim(first);
    const fresh = operation();

    const [retry, claimed] = await Promise.all([batcher.claim(first), batcher.claim(fresh), batcher.claim(operation())]);

    expect(retry).toMatchObject({ created: false, record: { opId: first.opId, status: 'pending' } });
    expect(claimed).toEqual({ created: true });
  });

  it('a claim planned under an old flag version is refused with FlagsMovedError while its batch mates are claimed', async () => {
    const batcher = new ClaimBatcher(pool, ledger);
    const stale = operation({ flagVersion: version - 1 });
    const current = operation();

    const outcomes = await Promise.allSettled([batcher.claim(current), batcher.claim(stale), batcher.claim(operation())]);

    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: { created: true } });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(FlagsMovedError) });
    await expect(ledger.get(stale.opId)).resolves.toBeNull();
  });

  it('while a flip fences writes, no claim of the batch is taken', async () => {
    const batcher = new ClaimBatcher(pool, ledger);
    await pool.query('update dual_write_flags set fenced = true');
    const operations = [operation(), operation(), operation()];

    const outcomes = await Promise.allSettled(operations.map((each) => batcher.claim(each)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const { rows } = await pool.query('select count(*)::int as n from dual_write_ops where op_id = any($1::uuid[])', [operations.map((each) => each.opId)]);
    expect(rows[0].n).toBe(0);
  });
});
