import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { onDatabase, prepareControlDatabase, scratchDatabaseUrl } from '@dualwrite/testing';
import { ReconcileAlreadyRunningError, lockReconcileEntities } from './reconcile-lock';
import { runCli } from './testing/run-cli';

const control = `dw_h4_reconcile_lock_${randomBytes(4).toString('hex')}`;

/** A reconcile started twice: the second is refused, naming the first, before it reads or records anything. */
describe('reconcile-data locks', () => {
  let pool: Pool;

  beforeAll(async () => {
    await prepareControlDatabase(control);
    pool = new Pool({ connectionString: scratchDatabaseUrl(control), max: 4 });
  });

  afterAll(async () => {
    await pool?.end();
    await onDatabase('postgres', `drop database if exists "${control}" with (force)`);
  });

  it('refuses a second holder of an entity, naming the first, and takes none of the others', async () => {
    const first = await lockReconcileEntities(pool, ['budgets'], 'host-one:101');
    try {
      const refused = await lockReconcileEntities(pool, ['users', 'budgets'], 'host-two:202').then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ReconcileAlreadyRunningError);
      expect((refused as Error).message).toMatch(
        /^a reconcile of budgets is already running \(host-one:101, since \d{4}-\d\d-\d\dT[\d:.]+Z\); wait for it to finish: two runs would re-check and record the same keys twice$/,
      );
      // All or none: users was not kept by the refused attempt.
      const users = await lockReconcileEntities(pool, ['users'], 'host-three:303');
      await users.release();
    } finally {
      await first.release();
    }
  });

  it('lets the entity go on release', async () => {
    // Another pool: a session-level advisory lock is re-entrant, so the same session would take it again anyway.
    const other = new Pool({ connectionString: scratchDatabaseUrl(control), max: 1 });
    try {
      const first = await lockReconcileEntities(pool, ['posts'], 'host-one:101');
      await first.release();

      const second = await lockReconcileEntities(other, ['posts'], 'host-two:202');
      await second.release();
    } finally {
      await other.end();
    }
  });

  it('the CLI started while a reconcile of the entity runs: exit 1 naming the running one, no run recorded', async () => {
    const running = await lockReconcileEntities(pool, ['budgets'], 'operator-laptop:4242');
    try {
      // Store A and B point at the control database: the refusal comes before either is read.
      const result = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=budgets'], {
        PRIMARY_DATABASE_URL: scratchDatabaseUrl(control),
        SUPABASE_DB_URL: scratchDatabaseUrl(control),
        CONTROL_DATABASE_URL: scratchDatabaseUrl(control),
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('reconcile-data refused: a reconcile of budgets is already running (operator-laptop:4242, since ');
      const { rows } = await pool.query('select 1 from reconcile_runs');
      expect(rows).toHaveLength(0);
    } finally {
      await running.release();
    }
  });
});
