import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeySync, OperationLedger } from '@dualwrite/dual-write';
import { budgetsEntity, exampleEntities, usersEntity } from '@dualwrite/example-domain';
import { exampleTestDomain } from '@dualwrite/testing';
import type { EntityDefinition } from '@dualwrite/stores';
import { applyReconcileTables } from '../../test/scratch-databases';
import { RepairStores } from './testing/repair-stores';
import { seedExampleRows } from '../copy/testing/seed';
import { LedgerActivity } from '../ledger-activity';
import { Reconciler } from '../reconciler';
import type { ReconcileRunResult } from '../reconcile.types';
import { writeReconcileReport } from '../report-writer';
import { ReconcileRunRepository } from '../run-repository';
import { SqlTableReader } from '../sql-table-reader';
import { DataRepair } from './data-repair';
import { RepairInputError, readReconcileRun, readReportFile } from './repair-input';
import type { PlannedKeyAction } from './repair.types';

/** The key md5('<prefix><n>') as a uuid: the seed's users and budgets, and this suite's own rows. */
function seededId(prefix: string, n: number): string {
  const hex = createHash('md5').update(`${prefix}${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const budget = (n: number) => seededId('budget', n);
const user = (n: number) => seededId('user', n);

describe('compensate-data: repair of a reconcile report (real PostgreSQL and supabase-local)', () => {
  const stores = new RepairStores(exampleTestDomain);
  let reportDir: string;

  beforeAll(async () => {
    await stores.start();
    await applyReconcileTables(stores.control);
    reportDir = await mkdtemp(path.join(tmpdir(), 'dw-repair-'));
  }, 120_000);

  afterAll(async () => {
    await stores.stop();
    if (reportDir) await rm(reportDir, { recursive: true, force: true });
  });

  /** Fresh rows on store A, copied to store B through KeySync: both stores equal. */
  async function equalStores(counts: { users: number; budgets: number }): Promise<void> {
    await stores.poolB.query('truncate comments, posts, budgets, users cascade');
    await stores.poolA.query('truncate comments, posts, budgets, users cascade');
    await stores.control.query('truncate dual_write_ops, repair_runs cascade');
    await seedExampleRows(stores.poolA, counts);
    const keySync = new KeySync({ pool: stores.control, ledger: new OperationLedger(stores.control) });
    for (const [entity, table] of [[usersEntity, 'users'], [budgetsEntity, 'budgets']] as const) {
      const { rows } = await stores.poolA.query<{ id: string }>(`select id from ${table} order by id`);
      await keySync.sync(entity, rows.map((row) => row.id), stores.prisma, stores.supabase);
    }
  }

  function repair(): DataRepair {
    const ledger = new OperationLedger(stores.control);
    return new DataRepair({
      entities: exampleEntities,
      stores: { a: stores.prisma, b: stores.supabase },
      control: stores.control,
      keySync: new KeySync({ pool: stores.control, ledger }),
      ledger,
    });
  }

  async function reconcile(): Promise<ReconcileRunResult> {
    const reconciler = new Reconciler({
      entities: exampleEntities,
      primary: new SqlTableReader('prisma', stores.poolA),
      secondary: new SqlTableReader('supabase', stores.poolB, { schema: 'public' }),
      ledger: new LedgerActivity(stores.control, 20),
    });
    const run = await reconciler.run(['users', 'budgets'], { settleTimeoutMs: 2000 });
    await new ReconcileRunRepository(stores.control).save(run, ['users', 'budgets']);
    return run;
  }

  async function ledgerOp(entity: string, operation: string, key: string): Promise<void> {
    await stores.control.query(
      `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, mode, flag_version)
       values ($1, $2, $3, array[$4], '{}', 'prisma', 'supabase', 'applied', 'dual-primary-a', 1)`,
      [randomUUID(), entity, operation, key],
    );
  }

  async function checksums(): Promise<unknown[]> {
    const entities: EntityDefinition[] = [usersEntity, budgetsEntity];
    return Promise.all(entities.flatMap((entity) => [stores.prisma.checksum(entity), stores.supabase.checksum(entity)]));
  }

  const byKey = (actions: readonly PlannedKeyAction[]) => Object.fromEntries(actions.map((action) => [`${action.entity} ${action.key}`, action.action]));
  const findingKeys = (run: ReconcileRunResult) => [...new Set(run.entities.flatMap((entity) => entity.findings.map((finding) => `${entity.entity} ${finding.key}`)))].sort();

  const extraWithoutProof = '0e000000-0000-4000-8000-000000000001';
  const extraWithProof = '0e000000-0000-4000-8000-000000000002';

  /** Drift of every kind behind the protocol's back, on store B (the secondary in phase 1-2). */
  async function seedDrift(): Promise<void> {
    await stores.poolB.query('delete from budgets where id = $1', [budget(1)]); // missing on B
    await stores.poolB.query('update budgets set amount = 999.99 where id = $1', [budget(2)]); // field difference
    await stores.poolB.query("update budgets set name = 'edited on B' where id = $1", [budget(3)]); // changed again after the report
    await stores.poolB.query('update budgets set amount = 0.5 where id = $1', [budget(4)]); // written through the ledger after the report
    await stores.poolB.query("update users set display_name = 'Renamed on B' where id = $1", [user(2)]); // field difference, parent table
    for (const id of [extraWithoutProof, extraWithProof]) {
      await stores.poolB.query("insert into budgets (id, owner_id, name, amount, currency) values ($1, $2, 'only on B', 1, 'EUR')", [id, user(1)]);
    }
    // The ledger proves a delete of one of the extra rows: its newest write on the primary is a delete.
    await ledgerOp('budgets', 'delete', extraWithProof);
  }

  it('a dry run lists exactly the repairs and changes nothing; --apply repairs them, audited, and a new reconcile finds only what was left, with reasons', async () => {
    await equalStores({ users: 5, budgets: 40 });
    await seedDrift();
    const run = await reconcile();
    expect(findingKeys(run)).toEqual(
      [budget(1), budget(2), budget(3), budget(4), extraWithoutProof, extraWithProof].map((key) => `budgets ${key}`).concat(`users ${user(2)}`).sort(),
    );
    const file = await writeReconcileReport(run, reportDir);
    // After the report: budget 3 changed again on A outside the ledger, budget 4 written through the ledger.
    await stores.poolA.query("update budgets set name = 'edited on A' where id = $1", [budget(3)]);
    await ledgerOp('budgets', 'update', budget(4));

    const before = await checksums();
    const plan = await repair().plan(await readReportFile(file));
    expect(byKey(plan.actions)).toEqual({
      [`users ${user(2)}`]: 'copy',
      [`budgets ${budget(1)}`]: 'copy',
      [`budgets ${budget(2)}`]: 'copy',
      [`budgets ${budget(3)}`]: 'skip_changed',
      [`budgets ${budget(4)}`]: 'skip_written',
      [`budgets ${extraWithoutProof}`]: 'leave',
      [`budgets ${extraWithProof}`]: 'delete',
    });
    const details = Object.fromEntries(plan.actions.map((action) => [action.key, action.detail]));
    expect(details[budget(1)]).toBe('insert on supabase the row prisma holds');
    expect(details[budget(2)]).toBe('update on supabase from prisma: amount');
    expect(plan.actions.find((action) => action.key === budget(3))?.reason).toContain('the rows changed since the report');
    expect(plan.actions.find((action) => action.key === extraWithoutProof)?.reason).toContain('the ledger records no delete of it');
    expect(await checksums()).toEqual(before);
    const { rows: audited } = await stores.control.query('select 1 from repair_runs');
    expect(audited).toHaveLength(0);

    const result = await repair().apply(await readReportFile(file), { requestedBy: 'repair.spec' });

    expect(result.counts).toEqual({ copied: 3, deleted: 1, left: 1, skipped: 2, nothing: 0, failed: 0 });
    expect(result.left.map((left) => left.key).sort()).toEqual([budget(3), budget(4), extraWithoutProof].sort());
    expect(result.left.find((left) => left.key === extraWithoutProof)?.reason).toContain('the ledger records no delete of it: both rows left');
    expect(result.left.find((left) => left.key === budget(4))?.reason).toContain("after the report's run finished");
    const { rows: runs } = await stores.control.query('select repair_id, report_run_id, report_file, status, primary_store, secondary_store, requested_by from repair_runs');
    expect(runs).toEqual([
      { repair_id: result.repairId, report_run_id: run.runId, report_file: file, status: 'completed', primary_store: 'prisma', secondary_store: 'supabase', requested_by: 'repair.spec' },
    ]);
    const { rows: actions } = await stores.control.query<{ entity_id: string; action: string; outcome: string; still_differs: boolean }>(
      'select entity_id, action, outcome, still_differs from repair_actions where repair_id = $1 order by entity_id',
      [result.repairId],
    );
    expect(Object.fromEntries(actions.map((row) => [row.entity_id, [row.action, row.outcome, row.still_differs]]))).toEqual({
      [user(2)]: ['copy', 'copied', false],
      [budget(1)]: ['copy', 'copied', false],
      [budget(2)]: ['copy', 'copied', false],
      [budget(3)]: ['skip_changed', 'skipped', true],
      [budget(4)]: ['skip_written', 'skipped', true],
      [extraWithoutProof]: ['leave', 'left', true],
      [extraWithProof]: ['delete', 'deleted', false],
    });
    const { rows: onB } = await stores.poolB.query<{ id: string }>('select id from budgets where id = any($1::uuid[]) order by id', [[extraWithoutProof, extraWithProof]]);
    expect(onB.map((row) => row.id)).toEqual([extraWithoutProof]);

    const again = await reconcile();
    expect(findingKeys(again)).toEqual([budget(3), budget(4), extraWithoutProof].map((key) => `budgets ${key}`).sort());
  });

  it('from a stored run (--run): whole rows were recorded, so a missing row the primary changed since is skipped, where the file can only list the key', async () => {
    await equalStores({ users: 3, budgets: 10 });
    await stores.poolB.query('delete from budgets where id = any($1::uuid[])', [[budget(1), budget(2)]]);
    const run = await reconcile();
    const file = await writeReconcileReport(run, reportDir);
    await stores.poolA.query("update budgets set name = 'renamed on A' where id = $1", [budget(2)]);

    const fromRun = await repair().plan(await readReconcileRun(stores.control, run.runId));
    expect(byKey(fromRun.actions)).toEqual({ [`budgets ${budget(1)}`]: 'copy', [`budgets ${budget(2)}`]: 'skip_changed' });
    expect(fromRun.actions.find((action) => action.key === budget(2))?.reason).toContain('"renamed on A"');
    // The file records no values of missing rows: the change on the primary is what KeySync copies anyway.
    const fromFile = await repair().plan(await readReportFile(file));
    expect(byKey(fromFile.actions)).toEqual({ [`budgets ${budget(1)}`]: 'copy', [`budgets ${budget(2)}`]: 'copy' });

    const result = await repair().apply(await readReconcileRun(stores.control, run.runId), { requestedBy: 'repair.spec' });
    expect(result.left).toEqual([{ entity: 'budgets', key: budget(2), reason: expect.stringContaining('the rows changed since the report') }]);
    const { rows } = await stores.control.query('select report_file from repair_runs where repair_id = $1', [result.repairId]);
    expect(rows).toEqual([{ report_file: null }]);
  });

  it('a key already equal again is nothing to do; with store B primary (phase 3 flags) the repair copies from store B', async () => {
    await equalStores({ users: 3, budgets: 10 });
    await stores.poolB.query('update budgets set amount = 7 where id = $1', [budget(5)]);
    await stores.poolB.query('update budgets set amount = 8 where id = $1', [budget(6)]);
    const run = await reconcile();
    // After the run, budget 6 is made equal again (store A takes store B's value).
    await stores.poolA.query('update budgets set amount = 8 where id = $1', [budget(6)]);
    await stores.control.query('update dual_write_flags set enable_dual_write = true, enable_supabase_primary = true where id = 1');
    try {
      const result = await repair().apply(await readReconcileRun(stores.control, run.runId), { requestedBy: 'repair.spec' });
      expect(byKey(result.actions)).toEqual({ [`budgets ${budget(5)}`]: 'copy', [`budgets ${budget(6)}`]: 'nothing' });
      expect(result.primaryStore).toBe('supabase');
      expect(result.warnings).toEqual(
        ['users', 'budgets'].map((entity) => `${entity}: the run had prisma as primary; the flags now name supabase, the repair copies from it`),
      );
      // Store B's value went to store A.
      const { rows } = await stores.poolA.query<{ amount: string }>('select amount::text from budgets where id = $1', [budget(5)]);
      expect(rows).toEqual([{ amount: '7.00' }]);
      expect(result.left).toEqual([]);
    } finally {
      await stores.control.query('update dual_write_flags set enable_dual_write = false, enable_supabase_primary = false where id = 1');
    }
  });
  it('a flip of the primary while the repair assesses refuses its syncs: nothing is copied with the roles it read, each key says why', async () => {
    await equalStores({ users: 3, budgets: 10 });
    await stores.poolB.query('update budgets set amount = 7 where id = $1', [budget(5)]);
    const run = await reconcile();
    // Store B becomes primary (the flags' next version) while the repair reads store B's rows for its plan.
    const flippingB = Object.create(stores.supabase) as typeof stores.supabase;
    flippingB.findManyByIds = async (entity, keys) => {
      await stores.control.query('update dual_write_flags set enable_dual_write = true, enable_supabase_primary = true, version = version + 1 where id = 1');
      return stores.supabase.findManyByIds(entity, keys);
    };
    const ledger = new OperationLedger(stores.control);
    const flippedMidway = new DataRepair({ entities: exampleEntities, stores: { a: stores.prisma, b: flippingB }, control: stores.control, keySync: new KeySync({ pool: stores.control, ledger }), ledger });
    try {
      const result = await flippedMidway.apply(await readReconcileRun(stores.control, run.runId), { requestedBy: 'repair.spec' });

      expect(result.actions).toEqual([expect.objectContaining({ key: budget(5), action: 'copy', outcome: 'failed', stillDiffers: true })]);
      expect(result.left).toEqual([expect.objectContaining({ key: budget(5), reason: expect.stringContaining('the flags no longer name store A the primary') })]);
      const { rows } = await stores.poolB.query<{ amount: string }>('select amount::text from budgets where id = $1', [budget(5)]);
      expect(rows).toEqual([{ amount: '7.00' }]);
    } finally {
      await stores.control.query('update dual_write_flags set enable_dual_write = false, enable_supabase_primary = false where id = 1');
    }
  });

  it('refuses a report naming an unknown entity or another pair of stores, and a run it cannot use, applying nothing', async () => {
    await equalStores({ users: 3, budgets: 10 });
    await stores.poolB.query('delete from budgets where id = $1', [budget(1)]);
    const run = await reconcile();
    const input = await readReconcileRun(stores.control, run.runId);
    const budgets = input.entities.find((entity) => entity.entity === 'budgets');
    if (!budgets) throw new Error('the run has no budgets');

    await expect(repair().apply({ ...input, entities: [{ ...budgets, entity: 'invoices' }] }, { requestedBy: 'repair.spec' })).rejects.toThrow(
      'the report names an unknown entity "invoices"; valid: users, budgets, posts, comments',
    );
    await expect(repair().apply({ ...input, entities: [{ ...budgets, primaryStore: 'mysql' }] }, { requestedBy: 'repair.spec' })).rejects.toThrow(
      "the report compares mysql and supabase for budgets; this platform's stores are prisma and supabase: refused, nothing applied",
    );
    await expect(repair().plan({ ...input, entities: [{ ...budgets, secondaryStore: 'prisma' }] })).rejects.toThrow(RepairInputError);
    const { rows: audited } = await stores.control.query('select 1 from repair_runs');
    expect(audited).toHaveLength(0);
    const { rows: onB } = await stores.poolB.query('select 1 from budgets where id = $1', [budget(1)]);
    expect(onB).toHaveLength(0);

    await expect(readReconcileRun(stores.control, 'last-night')).rejects.toThrow('run id "last-night" is not a uuid');
    const unknown = randomUUID();
    await expect(readReconcileRun(stores.control, unknown)).rejects.toThrow(`no reconcile run ${unknown} in reconcile_runs`);
    await stores.control.query("update reconcile_runs set status = 'running', finished_at = null where run_id = $1", [run.runId]);
    await expect(readReconcileRun(stores.control, run.runId)).rejects.toThrow(`reconcile run ${run.runId} has not finished (status running)`);
  });
});
