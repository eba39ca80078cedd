import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeySync, OperationLedger } from '@dualwrite/dual-write';
import { budgetsEntity, usersEntity } from '@dualwrite/example-domain';
import { exampleTestDomain } from '@dualwrite/testing';
import { RepairStores } from './testing/repair-stores';
import { seedExampleRows, seededBudgetId } from '../copy/testing/seed';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

interface CliExit {
  code: number;
  stdout: string;
  stderr: string;
}

/** An operator CLI (`npm run <name> -- <args>`: compensate-data, reconcile-data) through tools/run.js, to its end. */
function runEntry(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliExit> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['tools/run.js', entry, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('compensate-data CLI', () => {
  const stores = new RepairStores(exampleTestDomain);
  const env = () => ({ PRIMARY_DATABASE_URL: stores.url('a'), CONTROL_DATABASE_URL: stores.controlUrl, SUPABASE_URL: stores.supabaseUrl, SUPABASE_DB_URL: stores.url('b') });
  const orphan = '0e000000-0000-4000-8000-0000000000aa';
  let dir: string;
  let report: string;
  let runId: string;

  beforeAll(async () => {
    await stores.start();
    dir = await mkdtemp(path.join(tmpdir(), 'dw-compensate-'));
    await seedExampleRows(stores.poolA, { users: 3, budgets: 12 });
    const keySync = new KeySync({ pool: stores.control, ledger: new OperationLedger(stores.control) });
    for (const [entity, table] of [[usersEntity, 'users'], [budgetsEntity, 'budgets']] as const) {
      const { rows } = await stores.poolA.query<{ id: string }>(`select id from ${table}`);
      await keySync.sync(entity, rows.map((row) => row.id), stores.prisma, stores.supabase);
    }
    await stores.poolB.query('delete from budgets where id = $1', [seededBudgetId(1)]);
    await stores.poolB.query("update budgets set currency = 'USD' where id = $1", [seededBudgetId(2)]);
    const { rows: owner } = await stores.poolB.query<{ id: string }>('select id from users limit 1');
    await stores.poolB.query("insert into budgets (id, owner_id, name, amount, currency) values ($1, $2, 'only on B', 1, 'EUR')", [orphan, owner[0]?.id]);
    // The operator's flow: reconcile-data --report (which also applies the reconcile tables, repair's included).
    const reconciled = await runEntry('tools/src/cli/reconcile-data.ts', ['--entity=budgets', '--report', `--report-dir=${dir}`], env());
    expect(reconciled.code).toBe(1); // three findings, more than --max-findings=0
    runId = /^run ([0-9a-f-]{36}): 3 findings/m.exec(reconciled.stdout)?.[1] ?? '';
    report = /^report: (.+)$/m.exec(reconciled.stdout)?.[1] ?? '';
    expect({ runId, report }).toEqual({ runId: expect.stringMatching(/^[0-9a-f-]{36}$/), report: expect.stringContaining(dir) });
  }, 120_000);

  afterAll(async () => {
    await stores.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (args: string[]) => runEntry('tools/src/cli/compensate-data.ts', args, env());

  it('refuses a foreign file, a missing file and an unknown run by name, exit 1, nothing applied', async () => {
    const foreign = path.join(dir, 'manifest.json');
    await writeFile(foreign, JSON.stringify({ format: 'dualwrite.backup-manifest/1' }));
    const unknown = randomUUID();
    for (const [args, message] of [
      [[`--report=${foreign}`, '--apply'], `compensate-data refused: ${foreign} is not a reconcile report: format "dualwrite.backup-manifest/1"`],
      [[`--report=${path.join(dir, 'none.json')}`], `compensate-data refused: cannot read the report ${path.join(dir, 'none.json')}: ENOENT`],
      [[`--run=${unknown}`, '--apply'], `compensate-data refused: no reconcile run ${unknown} in reconcile_runs`],
    ] as const) {
      const exit = await run([...args]);
      expect({ code: exit.code, stderr: exit.stderr.trim() }).toEqual({ code: 1, stderr: expect.stringContaining(message) });
    }
    const { rows } = await stores.control.query('select 1 from repair_runs');
    expect(rows).toHaveLength(0);
  });

  it('the dry run lists every change and writes nothing; --apply repairs, lists what is left and exits 1 for it', async () => {
    const dry = await run([`--report=${report}`]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`  budgets ${seededBudgetId(1)}: insert on supabase the row prisma holds`);
    expect(dry.stdout).toContain(`  budgets ${seededBudgetId(2)}: update on supabase from prisma: currency`);
    expect(dry.stdout).toContain(`  budgets ${orphan}: leave on supabase: prisma has no row`);
    expect(dry.stdout).toContain('3 keys: copy 2, leave 1');
    expect(dry.stdout).toContain('dry run: nothing written (--apply repairs)');
    const { rows: stillMissing } = await stores.poolB.query('select 1 from budgets where id = $1', [seededBudgetId(1)]);
    expect(stillMissing).toHaveLength(0);

    const applied = await run([`--run=${runId}`, '--apply']);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain('copied 2, deleted 0, left 1, skipped 0, nothing to do 0, failed 0');
    expect(applied.stdout).toContain('re-check: 1 keys left');
    expect(applied.stdout).toContain(`  left budgets ${orphan}: the primary has no budgets ${orphan} and the ledger records no delete of it: both rows left`);
    const [a, b] = await Promise.all([stores.prisma.checksum(budgetsEntity), stores.supabase.checksum(budgetsEntity)]);
    expect(b.count).toBe(a.count + 1);
    const { rows: audited } = await stores.control.query<{ status: string; n: number }>(
      'select r.status, count(a.*)::int as n from repair_runs r join repair_actions a using (repair_id) group by r.status',
    );
    expect(audited).toEqual([{ status: 'completed', n: 3 }]);
  });
});
