import { execFile } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { FlagRepository, OperationLedger } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import { exampleTestDomain } from '@dualwrite/testing';
import { VerifyScratchStores, budgetId, seedEqualRows } from './testing/verify-stores';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

interface CliExit {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run <command> -- <args>` as npm runs it (tools/run.js), with the environment given, to its end. */
function runTool(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliExit> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['tools/run.js', entry, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** verify-counts, verify-dual-write and backfill-gap as an operator runs them, against stores of this suite's own (phase 2). */
describe('verify and backfill CLIs', () => {
  const stores = new VerifyScratchStores(exampleTestDomain);

  beforeAll(async () => {
    await stores.start();
    await new FlagRepository(stores.control).change({ next: { enableDualWrite: true, enableSupabasePrimary: false }, changedBy: 'verify cli spec', source: 'cli', reason: 'phase 2' });
  }, 120_000);

  afterAll(async () => {
    await stores.stop();
  });

  beforeEach(async () => {
    await Promise.all([seedEqualRows(stores.poolA, 10), seedEqualRows(stores.poolB, 10), stores.control.query('truncate dual_write_ops')]);
  });

  const env = () => ({ PRIMARY_DATABASE_URL: stores.url('a'), CONTROL_DATABASE_URL: stores.controlUrl, SUPABASE_URL: stores.supabaseUrl, SUPABASE_DB_URL: stores.url('b') });
  const run = (command: string, args: string[]) => runTool(`tools/src/cli/${command}.ts`, args, env());

  it('verify-counts prints both stores\' counts side by side and exits 0 when they are equal', async () => {
    const exit = await run('verify-counts', []);

    expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: 0, stderr: '' });
    expect(exit.stdout).toContain('dual-primary-a: primary prisma, secondary supabase');
    expect(exit.stdout).toMatch(/budgets\s+10\s+10\s+\n/);
  });

  it('verify-counts exits 1 when a count differs, naming the entity', async () => {
    await stores.poolB.query('delete from budgets where id = any($1::uuid[])', [[budgetId(1), budgetId(2)]]);

    const exit = await run('verify-counts', []);

    expect(exit.code).toBe(1);
    expect(exit.stdout).toMatch(/budgets\s+10\s+8\s+2\n/);
    expect(exit.stderr).toBe('counts differ: budgets\n');
  });

  it('verify-dual-write refuses invalid minutes by name (exit 2) and checks a clean window (exit 0)', async () => {
    const zero = await run('verify-dual-write', ['--minutes=0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--minutes must be a positive integer (how many minutes of the ledger to check), got "0"');
    const tooMany = await run('verify-dual-write', ['--minutes=20000']);
    expect(tooMany.stderr).toContain('--minutes must be at most 10080 (a week), got 20000');

    const exit = await run('verify-dual-write', ['--minutes=5']);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain("every applied operation's keys are equal on both stores");
  });

  it('verify-dual-write exits 1 naming a key an applied op wrote that store B changed behind the module\'s back', async () => {
    const ledger = new OperationLedger(stores.control);
    const { version } = await new FlagRepository(stores.control).read();
    const opId = randomUUID();
    await ledger.claim({ opId, entity: 'budgets', operation: 'update', entityIds: [budgetId(4)], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: version });
    await ledger.transition(opId, 'primary_wrote');
    await ledger.transition(opId, 'secondary_synced');
    await stores.poolB.query("update budgets set name = 'changed on B by hand' where id = $1", [budgetId(4)]);

    const exit = await run('verify-dual-write', ['--minutes=5']);

    expect(exit.code).toBe(1);
    expect(exit.stdout).toContain(`MISMATCH budgets ${budgetId(4)} (ops ${opId}): name: "Budget 4" ≠ "changed on B by hand"`);
    expect(exit.stdout).toContain('1 keys differ');
  });

  it('backfill-gap refuses an invalid timestamp; --dry-run lists and writes nothing; then it applies and the stores are equal', async () => {
    const invalid = await run('backfill-gap', ['--since=last tuesday']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('--since must be an ISO 8601 date or time with its zone, such as 2026-11-29T20:00:00Z, got "last tuesday"');

    await stores.poolA.query("update budgets set name = 'changed on A', updated_at = now() where id = $1", [budgetId(3)]);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const dryRun = await run('backfill-gap', [`--since=${since}`, '--entity=budgets', '--dry-run']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('budgets: 1 changed on the primary, 0 deleted (ledger); 1 unequal on the secondary');
    expect(dryRun.stdout).toContain(`  ${budgetId(3)} differs (name, updatedAt)`);
    expect(dryRun.stdout).toContain('dry run: nothing written');
    const { rows } = await stores.poolB.query<{ name: string }>('select name from budgets where id = $1', [budgetId(3)]);
    expect(rows[0]?.name).toBe('Budget 3');

    const applied = await run('backfill-gap', [`--since=${since}`]);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('synced through KeySync: 1 copied, 0 deleted, 0 left, 0 still unequal');
    for (const entity of exampleEntities) expect(await stores.supabase.checksum(entity)).toEqual(await stores.prisma.checksum(entity));
  });
});
