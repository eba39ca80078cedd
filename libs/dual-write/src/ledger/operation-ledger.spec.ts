import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { OperationLedger, type NewOperation } from './operation-ledger';

const controlUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

describe('OperationLedger', () => {
  const pool = new Pool({ connectionString: controlUrl, max: 4 });
  const ledger = new OperationLedger(pool);
  const opIds: string[] = [];

  function newOperation(overrides: Partial<NewOperation> = {}): NewOperation {
    const opId = uuidv7();
    opIds.push(opId);
    return {
      opId,
      entity: 'budgets',
      operation: 'create',
      entityIds: [uuidv7()],
      payload: { name: 'Rent', amount: '900.00' },
      primaryStore: 'prisma',
      secondaryStore: 'supabase',
      ...overrides,
    };
  }

  afterAll(async () => {
    await pool.query('delete from dual_write_ops where op_id = any($1)', [opIds]);
    await pool.end();
  });

  it('claims a new operation as pending', async () => {
    const operation = newOperation();

    const { created, record } = await ledger.claim(operation);

    expect(created).toBe(true);
    expect(record).toMatchObject({ ...operation, status: 'pending', attempts: 0, result: null, lastError: null });
  });

  it('a second claim of the same opId returns the first record and its stored result', async () => {
    const operation = newOperation();
    await ledger.claim(operation);
    await ledger.markApplied(operation.opId, { id: operation.entityIds[0], amount: '900' });

    const again = await ledger.claim({ ...operation, payload: { name: 'Changed?' } });

    expect(again.created).toBe(false);
    expect(again.record).toMatchObject({ status: 'applied', payload: operation.payload, result: { id: operation.entityIds[0], amount: '900' } });
  });

  it('of concurrent claims of one opId exactly one creates it', async () => {
    const operation = newOperation();

    const claims = await Promise.all([1, 2, 3, 4].map(() => ledger.claim(operation)));

    expect(claims.filter((claim) => claim.created)).toHaveLength(1);
  });

  it('keeps a write the secondary still owes, with its attempts, until it is applied', async () => {
    const operation = newOperation();
    await ledger.claim(operation);
    await ledger.markSecondaryPending(operation.opId, { id: operation.entityIds[0] }, new Error('supabase unavailable'));

    const attempts = await ledger.recordFailedAttempt(operation.opId, new Error('still down'));
    const owed = await ledger.listByStatus('secondary_pending', 10_000);
    await ledger.markApplied(operation.opId);
    const after = await ledger.get(operation.opId);

    expect(attempts).toBe(1);
    expect(owed.map((record) => record.opId)).toContain(operation.opId);
    expect(after).toMatchObject({ status: 'applied', attempts: 1, lastError: null, result: { id: operation.entityIds[0] } });
  });

  it('updating an opId that was never claimed fails naming it', async () => {
    const unknown = uuidv7();

    await expect(ledger.markApplied(unknown)).rejects.toThrow(`operation ${unknown} is not in the ledger`);
  });
});
