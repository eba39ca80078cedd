import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { onDatabase, prepareControlDatabase, scratchDatabaseUrl } from '@dualwrite/testing';
import { LedgerActivity } from '@dualwrite/reconcile';
import { waitUntilLedgerQuiet } from './ledger-statuses';

const database = `dw_bench_ledger_${randomBytes(4).toString('hex')}`;

describe('the bench waiting for what a full-load round left unsettled', () => {
  let control: Pool;
  const opIds: string[] = [];

  beforeAll(async () => {
    await prepareControlDatabase(database);
    control = new Pool({ connectionString: scratchDatabaseUrl(database), max: 2 });
  });

  afterEach(async () => {
    await control.query('delete from dual_write_ops where op_id = any($1::uuid[])', [opIds.splice(0)]);
  });

  afterAll(async () => {
    await control?.end();
    await onDatabase('postgres', `drop database if exists "${database}" with (force)`);
  });

  async function claim(status: string, createdAt: Date): Promise<string> {
    const opId = uuidv7();
    opIds.push(opId);
    await control.query(
      `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, status, created_at)
       values ($1::uuid, 'budgets', 'create', array[$1::text], '{}', 'prisma', $2, $3)`,
      [opId, status, createdAt],
    );
    return opId;
  }

  it('waits for an operation claimed since the mark until it settles', async () => {
    const since = await new LedgerActivity(control).now();
    const opId = await claim('primary_done', new Date(since.getTime() + 10));
    const settling = setTimeout(() => void control.query(`update dual_write_ops set status = 'applied' where op_id = $1`, [opId]), 300);
    try {
      const tail = await waitUntilLedgerQuiet(control, since, 10_000);
      expect(tail).toMatchObject({ atStart: 1, left: 0 });
      expect(tail.waitedMs).toBeGreaterThanOrEqual(250);
    } finally {
      clearTimeout(settling);
    }
  });

  it('gives up after the timeout and says how many are left', async () => {
    const since = await new LedgerActivity(control).now();
    await claim('pending', new Date(since.getTime() + 10));
    const tail = await waitUntilLedgerQuiet(control, since, 200);
    expect(tail).toMatchObject({ atStart: 1, left: 1 });
  });

  it('does not wait for an operation claimed before the mark', async () => {
    const since = await new LedgerActivity(control).now();
    await claim('secondary_pending', new Date(since.getTime() - 60_000));
    const tail = await waitUntilLedgerQuiet(control, since, 10_000);
    expect(tail).toMatchObject({ atStart: 0, left: 0 });
  });
});
