import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool, escapeLiteral, type QueryResult } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { FlagRepository } from '../flags/flag-repository';
import { OperationLedger } from './operation-ledger';
import { keysOverlapSql } from './key-overlap';
import { keysWrittenByOthersSql, lockKeysSql, settleSyncedSql } from './sync-settlement';

/** The statements a sync sends as text: values arrive as quoted literals, whatever characters they hold. */
describe('sync settlement statements', () => {
  let pool: Pool;
  let ledger: OperationLedger;
  const hostileKey = `it's a key\\with'); drop table dual_write_ops; --`;
  const observation = { primaryOutcome: 'ok' as const, secondaryOutcome: 'ok' as const, primaryLatencyMs: 2, secondaryLatencyMs: null, pathLatencyMs: 7 };

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_sync_settlement_spec'), max: 2 });
    ledger = new OperationLedger(pool);
  });
  afterAll(() => pool.end());

  async function claimed(key: string, operation: 'create' | 'update' = 'update'): Promise<string> {
    const opId = uuidv7();
    const { version } = await new FlagRepository(pool).read();
    await pool.query('update dual_write_flags set fenced = false');
    await ledger.claim({ opId, entity: 'notes', operation, entityIds: [key], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: version });
    await ledger.transition(opId, 'primary_wrote', {});
    return opId;
  }

  async function run<T extends object>(sql: (escape: (value: string) => string) => string): Promise<QueryResult<T>> {
    const client = await pool.connect();
    try {
      return await client.query<T>(sql((value) => client.escapeLiteral(value)));
    } finally {
      client.release();
    }
  }

  it('settles an operation of a key holding quotes, backslashes and SQL, and the table is still there', async () => {
    const opId = await claimed(hostileKey);

    const { rows } = await run<{ op_id: string; status: string }>((escape) => settleSyncedSql(escape, [{ opId, observation }]));

    expect(rows).toEqual([{ op_id: opId, status: 'applied' }]);
    await expect(ledger.get(opId)).resolves.toMatchObject({ status: 'applied', entityIds: [hostileKey] });
  });

  it('moves only operations whose status accepts the event, and says which it moved', async () => {
    const open = await claimed(uuidv7());
    const settledAlready = await claimed(uuidv7());
    await ledger.transition(settledAlready, 'secondary_synced', {});

    const { rows } = await run<{ op_id: string }>((escape) => settleSyncedSql(escape, [{ opId: open, observation }, { opId: settledAlready, observation }]));

    expect(rows.map((row) => row.op_id)).toEqual([open]);
  });

  it('names the keys written by an operation other than the given ones, hostile keys included', async () => {
    const alone = uuidv7();
    const createOfAlone = await claimed(alone, 'create');
    const createOfHostile = await claimed(hostileKey, 'create');
    await claimed(hostileKey, 'update');

    const { rows } = await run<{ key: string }>((escape) => keysWrittenByOthersSql(escape, 'notes', [alone, hostileKey], [createOfAlone, createOfHostile]));

    expect(rows).toEqual([{ key: hostileKey }]);
  });

  it('locks keys holding quotes inside a transaction', async () => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(lockKeysSql((value) => client.escapeLiteral(value), 'notes', [hostileKey, 'plain']));
      const { rows } = await client.query<{ locks: string }>(`select count(*) as locks from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`);
      expect(Number(rows[0]?.locks)).toBe(2);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});

/**
 * A ledger larger than ANALYZE's sample, its keys written once each (as creates of new rows leave it), has no
 * frequent keys in its statistics; the planner then guessed that a few dozen keys match a fifth of the ledger,
 * and read all of it for every sync.
 */
describe('the keys written by others, on a ledger of 60,000 operations', () => {
  let pool: Pool;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_sync_settlement_plan_spec'), max: 1 });
    await pool.query('truncate dual_write_ops');
    await pool.query(
      `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, status)
       select gen_random_uuid(), 'notes', 'create', array[gen_random_uuid()::text], '{}', 'prisma', 'applied' from generate_series(1, 60000)`,
    );
    await pool.query('analyze dual_write_ops');
  });
  afterAll(() => pool.end());

  it('are found through the ledger\'s key index, not by reading the whole ledger', async () => {
    const keys = Array.from({ length: 50 }, () => uuidv7());
    const opIds = Array.from({ length: 50 }, () => uuidv7());

    const nodes = await planNodes(`explain ${keysWrittenByOthersSql(escapeLiteral, 'notes', keys, opIds)}`);

    expect(nodes).toContain('Bitmap Index Scan on dual_write_ops_keys_idx');
    expect(nodes).not.toContain('Seq Scan on dual_write_ops');
    expect(nodes).not.toContain('Parallel Seq Scan on dual_write_ops');
  });

  it('are found through the key index when the keys come as a parameter (the reconciliation\'s statements)', async () => {
    const keys = Array.from({ length: 500 }, () => uuidv7());

    const nodes = await planNodes(`explain select distinct key from dual_write_ops, unnest(entity_ids) as key where entity = $1 and ${keysOverlapSql('$2::text[]')} and key = any($2::text[])`, [
      'notes',
      keys,
    ]);

    expect(nodes).toContain('Bitmap Index Scan on dual_write_ops_keys_idx');
    expect(nodes).not.toContain('Seq Scan on dual_write_ops');
    expect(nodes).not.toContain('Parallel Seq Scan on dual_write_ops');
  });

  /** The plan's nodes, e.g. `Bitmap Index Scan on dual_write_ops_keys_idx`, without their costs and conditions. */
  async function planNodes(explain: string, values: unknown[] = []): Promise<string[]> {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(explain, values);
    return rows.map((row) => row['QUERY PLAN']).filter((line) => line.includes('(cost=')).map((line) => line.replace(/^[\s>-]*|\s*\(cost=.*$/g, ''));
  }
});
