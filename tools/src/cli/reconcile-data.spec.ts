import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { onDatabase, prepareControlDatabase, scratchDatabaseUrl } from '@dualwrite/testing';
import { runCli } from './testing/run-cli';

const root = path.resolve(__dirname, '..', '..', '..');
const suffix = randomBytes(4).toString('hex');
const names = { a: `dw_reconcile_t_cli_${suffix}_a`, b: `dw_reconcile_t_cli_${suffix}_b`, control: `dw_reconcile_t_cli_${suffix}_control` };

/**
 * `npm run reconcile-data` end to end, on databases of its own: the demo schema (store A's migrations) on both
 * sides, read directly (SUPABASE_DB_URL), a control database of its own for flags, ledger and runs.
 */
describe('reconcile-data CLI', () => {
  const env = { PRIMARY_DATABASE_URL: scratchDatabaseUrl(names.a), SUPABASE_DB_URL: scratchDatabaseUrl(names.b), CONTROL_DATABASE_URL: scratchDatabaseUrl(names.control) };
  let a: Pool;
  let b: Pool;
  let reportDir: string;

  beforeAll(async () => {
    await onDatabase('postgres', `create database "${names.a}"`);
    await onDatabase('postgres', `create database "${names.b}"`);
    await prepareControlDatabase(names.control);
    for (const side of [names.a, names.b]) await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(scratchDatabaseUrl(side));
    a = new Pool({ connectionString: scratchDatabaseUrl(names.a), max: 1 });
    b = new Pool({ connectionString: scratchDatabaseUrl(names.b), max: 1 });
    for (const pool of [a, b]) {
      await pool.query(`insert into users (id, email, display_name, created_at, updated_at)
                        select md5('u' || i)::uuid, 'u' || i || '@cli.test', 'User ' || i, '2026-01-01', '2026-01-01' from generate_series(1, 5) as i`);
      await pool.query(`insert into budgets (id, owner_id, name, amount, currency, created_at, updated_at)
                        select md5('b' || i)::uuid, md5('u1')::uuid, 'Budget ' || i, i * 10, 'EUR', '2026-01-01', '2026-01-01' from generate_series(1, 4) as i`);
    }
    await b.query("update budgets set amount = 999 where id = md5('b2')::uuid");
    await b.query("delete from users where id = md5('u5')::uuid");
    reportDir = await mkdtemp(path.join(os.tmpdir(), 'reconcile-data-'));
  });

  afterAll(async () => {
    await Promise.allSettled([a?.end(), b?.end()]);
    for (const name of Object.values(names)) await onDatabase('postgres', `drop database if exists "${name}" with (force)`);
    await rm(reportDir, { recursive: true, force: true });
  });

  it('exits 1 when the findings exceed --max-findings, storing the run and writing the report', async () => {
    const result = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=all', '--report', `--report-dir=${reportDir}`], env);
    expect(result.stderr).toContain('2 findings, more than --max-findings=0');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('users: 5 rows on prisma, 4 on supabase; missing on supabase 1, on prisma 0, differing fields 0');
    expect(result.stdout).toContain('budgets: 4 rows on prisma, 4 on supabase; missing on supabase 0, on prisma 0, differing fields 1 (error 1');

    const [file] = await readdir(reportDir);
    expect(file).toMatch(/^reconcile-report-\d{4}-\d{2}-\d{2}\.json$/);
    const report = JSON.parse(await readFile(path.join(reportDir, file), 'utf8'));
    const budgets = report.entities.find((entity: { entity: string }) => entity.entity === 'budgets');
    expect(budgets.differingFields).toMatchObject([{ field: 'amount', primary: '20', secondary: '999', severity: 'error' }]);

    const control = new Pool({ connectionString: env.CONTROL_DATABASE_URL, max: 1 });
    try {
      const { rows } = await control.query('select status, findings from reconcile_runs');
      expect(rows).toEqual([{ status: 'completed', findings: 2 }]);
      const migrations = await control.query("select version from dual_write_schema_migrations where name = 'reconcile_runs'");
      expect(migrations.rowCount).toBe(1);
    } finally {
      await control.end();
    }
  });

  it('exits 0 when the findings are within --max-findings', async () => {
    const result = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=budgets', '--max-findings=1'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/run [0-9a-f-]{36}: 1 findings/);
  });

  it('takes store B as the primary when the flags say so (phase 3): missing rows are named from its side', async () => {
    const control = new Pool({ connectionString: env.CONTROL_DATABASE_URL, max: 1 });
    try {
      await control.query('update dual_write_flags set enable_dual_write = true, enable_supabase_primary = true');
      const result = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=users', '--max-findings=1'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('users: 4 rows on supabase, 5 on prisma; missing on prisma 0, on supabase 1');
    } finally {
      await control.query('update dual_write_flags set enable_dual_write = false, enable_supabase_primary = false');
      await control.end();
    }
  });

  it('refuses an unknown entity, listing the valid ones, before connecting anywhere', async () => {
    const result = await runCli('tools/src/cli/reconcile-data.ts', ['--entity=invoices'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--entity: unknown entity "invoices"; valid: all, users, budgets, posts, comments');
  });
});
