import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { prepareControlDatabase } from '@dualwrite/testing';
import { LedgerActivity } from './ledger-activity';
import { SqlTableReader } from './sql-table-reader';
import { Reconciler } from './reconciler';
import { DRIFT_ITEMS_DDL, SEED_DRIFT_ITEMS_SQL, driftItems, driftKey } from '../test/drift-fixture';
import { ScratchDatabases, dropScratchDatabase } from '../test/scratch-databases';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the ledger says about a differing key decides when it is read again and how the finding is labelled. */
describe('reconcile: the ledger decides the re-check', () => {
  const databases = new ScratchDatabases('ledger');
  const controlName = `dw_reconcile_t_ledger_${databases.suffix}_control`;
  let control: Pool;
  let reconciler: Reconciler;

  async function claim(n: number, status: string): Promise<string> {
    const opId = randomUUID();
    await control.query(
      `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status)
       values ($1, 'drift_items', 'update', array[$2], '{}', 'a', 'b', $3)`,
      [opId, driftKey(n), status],
    );
    return opId;
  }

  beforeAll(async () => {
    await databases.create();
    for (const pool of [databases.a, databases.b]) {
      await pool.query(DRIFT_ITEMS_DDL);
      await pool.query(SEED_DRIFT_ITEMS_SQL, [30]);
    }
    control = new Pool({ connectionString: await prepareControlDatabase(controlName), max: 2 });
    control.on('error', () => undefined);
    reconciler = new Reconciler({
      entities: [driftItems],
      primary: new SqlTableReader('a', databases.a),
      secondary: new SqlTableReader('b', databases.b),
      ledger: new LedgerActivity(control, 20),
    });
  });

  afterAll(async () => {
    await control?.end();
    await dropScratchDatabase(controlName);
    await databases.drop();
  });

  it('clears a difference whose write settles during the wait (the secondary caught up)', async () => {
    await databases.a.query("update drift_items set label = 'new' where id = $1", [driftKey(1)]);
    const opId = await claim(1, 'primary_done');
    const settle = (async () => {
      await sleep(300);
      await databases.b.query("update drift_items set label = 'new' where id = $1", [driftKey(1)]);
      await control.query("update dual_write_ops set status = 'applied', updated_at = now() where op_id = $1", [opId]);
    })();
    const run = await reconciler.run('all', { settleTimeoutMs: 5000 });
    await settle;
    expect(run.entities[0].findings).toEqual([]);
    expect(run.entities[0].work.keysRechecked).toBeGreaterThanOrEqual(1);
  });

  it('reports a difference that outlives its write, settled during the wait, as "settled"', async () => {
    await databases.a.query("update drift_items set label = 'only on a' where id = $1", [driftKey(2)]);
    const opId = await claim(2, 'primary_done');
    const settle = (async () => {
      await sleep(300);
      await control.query("update dual_write_ops set status = 'applied', updated_at = now() where op_id = $1", [opId]);
    })();
    try {
      const run = await reconciler.run('all', { settleTimeoutMs: 5000 });
      expect(run.entities[0].findings).toMatchObject([{ key: driftKey(2), field: 'label', ledger: 'settled' }]);
    } finally {
      await settle;
      await databases.a.query("update drift_items set label = 'label 2' where id = $1", [driftKey(2)]);
      await control.query('delete from dual_write_ops where op_id = $1', [opId]);
    }
  });

  it('takes a write settled before the run began as no reason to wait: "quiet"', async () => {
    await databases.a.query("update drift_items set label = 'before' where id = $1", [driftKey(5)]);
    const opId = await claim(5, 'applied');
    await sleep(20);
    try {
      const run = await reconciler.run('all', { settleTimeoutMs: 5000 });
      expect(run.entities[0].findings).toMatchObject([{ key: driftKey(5), field: 'label', ledger: 'quiet' }]);
    } finally {
      await databases.a.query("update drift_items set label = 'label 5' where id = $1", [driftKey(5)]);
      await control.query('delete from dual_write_ops where op_id = $1', [opId]);
    }
  });

  it('reports a difference whose write is still owed after the wait as "unsettled", without waiting again', async () => {
    await databases.a.query("update drift_items set label = 'owed' where id = $1", [driftKey(3)]);
    const opId = await claim(3, 'secondary_pending');
    try {
      const started = Date.now();
      const run = await reconciler.run('all', { settleTimeoutMs: 400 });
      expect(run.entities[0].findings).toMatchObject([{ key: driftKey(3), field: 'label', ledger: 'unsettled' }]);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await databases.a.query("update drift_items set label = 'label 3' where id = $1", [driftKey(3)]);
      await control.query('delete from dual_write_ops where op_id = $1', [opId]);
    }
  });

  it('reports a difference on a key nobody wrote as "quiet", without waiting', async () => {
    await databases.b.query("update drift_items set quantity = -1 where id = $1", [driftKey(4)]);
    const run = await reconciler.run('all', { settleTimeoutMs: 5000 });
    expect(run.entities[0].findings).toMatchObject([{ key: driftKey(4), field: 'quantity', ledger: 'quiet' }]);
    expect(run.entities[0].work.keysRechecked).toBe(0);
  });
});
