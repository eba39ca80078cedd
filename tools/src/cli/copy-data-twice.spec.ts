import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { CopyRunRepository } from '@dualwrite/reconcile';
import { onDatabase, prepareControlDatabase, scratchDatabaseUrl } from '@dualwrite/testing';
import { runCli } from './testing/run-cli';

const control = `dw_h4_copy_twice_${randomBytes(4).toString('hex')}`;

/** A copy started twice: the CLI is refused, naming the copy that holds the entity, before it copies anything. */
describe('copy-data started while a copy of the entity runs', () => {
  let pool: Pool;

  beforeAll(async () => {
    await prepareControlDatabase(control);
    pool = new Pool({ connectionString: scratchDatabaseUrl(control), max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await onDatabase('postgres', `drop database if exists "${control}" with (force)`);
  });

  it('exits 1 naming the running copy; no run of any entity is recorded', async () => {
    // The lock a running copy holds (InitialCopy takes it through CopyRunRepository) in another process's session.
    const running = await new CopyRunRepository(pool).lockEntities(['budgets']);
    try {
      // Both stores point at the control database: the refusal comes before either is read for rows.
      const result = await runCli('tools/src/cli/copy-data.ts', ['--entity=all'], {
        PRIMARY_DATABASE_URL: scratchDatabaseUrl(control),
        SUPABASE_DB_URL: scratchDatabaseUrl(control),
        CONTROL_DATABASE_URL: scratchDatabaseUrl(control),
      });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('a copy of budgets is already running');
      expect(result.stderr).toContain('wait for it or stop it first');
      const { rows } = await pool.query('select entity from dual_write_copy_runs');
      expect(rows).toEqual([]);
    } finally {
      await running.release();
    }
  });
});
