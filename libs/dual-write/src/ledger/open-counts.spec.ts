import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { OPEN_COUNTS_SQL, OperationLedger } from './operation-ledger';

/**
 * A flip's phase gates ask how many operations are owed or dead. The ledger keeps every operation it ever recorded,
 * so counting its statuses read all of it (0.9 s at 740,000 operations, the bench's flip 1.7 s): only the open ones
 * are counted, through a partial index on `open`.
 */
describe('the open operations counted, on a ledger of 60,000 settled ones', () => {
  let pool: Pool;
  let ledger: OperationLedger;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_open_counts_spec'), max: 1 });
    ledger = new OperationLedger(pool);
    await pool.query('truncate dual_write_ops');
    const insert = (status: string, count: number) =>
      pool.query(
        `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, status)
         select gen_random_uuid(), 'budgets', 'update', array[gen_random_uuid()::text], '{}', 'prisma', $1 from generate_series(1, $2)`,
        [status, count],
      );
    await insert('applied', 60_000);
    await insert('secondary_pending', 3);
    await insert('primary_unavailable', 2);
    await insert('dead', 1);
    await pool.query('analyze dual_write_ops');
  });
  afterAll(() => pool.end());

  it('counts each open status and leaves the settled ones out', async () => {
    const counts = await ledger.countOpen();

    expect(Object.fromEntries(counts)).toEqual({ secondary_pending: 3, primary_unavailable: 2, dead: 1 });
  });

  it('reads an index on open, never the whole ledger', async () => {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`explain ${OPEN_COUNTS_SQL}`);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');

    expect(plan).toMatch(/Index (Only )?Scan using dual_write_ops_\w*open\w* on dual_write_ops/);
    expect(plan).not.toContain('Seq Scan on dual_write_ops');
  });
});
