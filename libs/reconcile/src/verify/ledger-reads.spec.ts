import { OperationLedger, type WriteOperation } from '@dualwrite/dual-write';
import { prepareControlDatabase } from '@dualwrite/testing';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { VerifyLedgerReader } from './ledger-reads';

describe('VerifyLedgerReader.keysDeletedSince (the backfill gap)', () => {
  let pool: Pool;
  let ledger: OperationLedger;
  let flagVersion: number;
  const sent: { text: string; values: unknown[] }[] = [];

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_ledger_reads_spec'), max: 2 });
    ledger = new OperationLedger(pool);
  });
  beforeEach(async () => {
    await pool.query('truncate dual_write_ops');
    await pool.query('update dual_write_flags set fenced = false');
    flagVersion = (await pool.query<{ version: number }>('select version from dual_write_flags where id = 1')).rows[0]?.version ?? 0;
    sent.length = 0;
  });
  afterAll(() => pool.end());

  /** The reader on a pool that records what it sends. */
  function recordingReader(): VerifyLedgerReader {
    const recording = new Proxy(pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (text: string, values: unknown[] = []) => {
          sent.push({ text, values });
          return target.query(text, values);
        };
      },
    });
    return new VerifyLedgerReader(recording);
  }

  async function claimed(operation: WriteOperation, key: string, status?: 'rejected'): Promise<void> {
    const opId = uuidv7();
    await ledger.claim({ opId, entity: 'budgets', operation, entityIds: [key], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion });
    if (status === 'rejected') await ledger.transition(opId, 'primary_rejected', { lastError: 'not found' });
  }

  it('returns the keys of the deletes and batches claimed since then, leaving creates, updates and refused deletes', async () => {
    const [deleted, batched, created, updated, refused] = [uuidv7(), uuidv7(), uuidv7(), uuidv7(), uuidv7()];
    await claimed('delete', deleted);
    await claimed('batch', batched);
    await claimed('create', created);
    await claimed('update', updated);
    await claimed('delete', refused, 'rejected');

    const keys = await recordingReader().keysDeletedSince('budgets', new Date(Date.now() - 60_000));

    expect(keys.sort()).toEqual([deleted, batched].sort());
    await expect(recordingReader().keysDeletedSince('budgets', new Date(Date.now() + 60_000))).resolves.toEqual([]);
  });

  it('reads them through the ledger\'s deletes index, not by scanning the whole ledger', async () => {
    await claimed('delete', uuidv7());
    await recordingReader().keysDeletedSince('budgets', new Date(Date.now() - 60_000));
    const [query] = sent;

    // On a ledger this small a scan is cheaper: with scans priced out, the plan shows whether the index matches at all.
    const client = await pool.connect();
    try {
      await client.query('set enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${query?.text}`, query?.values);
      expect(JSON.stringify(rows[0]?.['QUERY PLAN'])).toContain('"Index Name":"dual_write_ops_deletes_idx"');
    } finally {
      await client.query('reset enable_seqscan');
      client.release();
    }
  });
});
