import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { budgetsEntity, exampleEntities } from '@dualwrite/example-domain';
import { exampleTestDomain } from '@dualwrite/testing';
import { ScratchStores } from './testing/scratch-stores';
import { emptyExampleTables, seedExampleRows } from './testing/seed';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

interface CliExit {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run copy-data -- <args>` (through tools/run.js, as npm runs it) with the environment given, to its end. */
function runCopyData(args: string[], env: NodeJS.ProcessEnv): Promise<CliExit> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['tools/run.js', 'tools/src/cli/copy-data.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** `npm run copy-data` as an operator runs it (tools/src/cli/copy-data.ts), against stores of this suite's own. */
describe('copy-data CLI', () => {
  const stores = new ScratchStores(exampleTestDomain);

  beforeAll(async () => {
    await stores.start();
    await seedExampleRows(stores.poolA, { users: 12, budgets: 250, posts: 30, comments: 45 });
  }, 120_000);

  afterAll(async () => {
    await stores.stop();
  });

  const runCli = (args: string[]) =>
    runCopyData(args, { PRIMARY_DATABASE_URL: stores.url('a'), CONTROL_DATABASE_URL: stores.controlUrl, SUPABASE_URL: stores.supabaseUrl, SUPABASE_DB_URL: stores.url('b') });

  it('--dry-run lists every chunk and writes nothing', async () => {
    const exit = await runCli(['--entity=all', '--chunk-size=100', '--dry-run']);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('users: 1 chunks, 12 rows');
    expect(exit.stdout).toContain('budgets: 3 chunks, 250 rows');
    expect(exit.stdout).toMatch(/ {2}chunk 3: keys \([0-9a-f-]{36}, end\] 50 rows/);
    expect(exit.stdout).toContain('dry run: nothing written');
    const { rows } = await stores.poolB.query<{ n: number }>('select (select count(*) from users) + (select count(*) from budgets) as n');
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('copies all entities parents first, with plain progress lines off a terminal; both stores end equal', async () => {
    const exit = await runCli(['--entity=all', '--chunk-size=100', '--rate=5000']);
    expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: 0, stderr: exit.code === 0 ? exit.stderr : `${exit.stdout}\n${exit.stderr}!` });
    const order = [...exit.stdout.matchAll(/^(\w+): prisma → supabase, run /gm)].map((match) => match[1]);
    expect(order).toEqual(['users', 'budgets', 'posts', 'comments']);
    expect(exit.stderr).toContain('budgets: 3/3 chunks, 250 rows copied');
    expect(exit.stderr).toContain('warning: dual writes are off (primary-only)');
    for (const entity of exampleEntities) {
      const [a, b] = await Promise.all([stores.prisma.checksum(entity), stores.supabase.checksum(entity)]);
      expect(b).toEqual(a);
    }
  });

  it('refuses a copy from the store the flags do not name primary (--from=b in phase 1), writing nothing: exit 1, naming the flags', async () => {
    await stores.poolB.query("insert into users (id, email, display_name) values ('0f000000-0000-4000-8000-000000000001', 'only-on-b@example.test', 'Only on B')");
    try {
      const exit = await runCli(['--entity=users', '--from=b']);

      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain('copy from supabase (store B) refused: the flags name store A the primary (primary-only');
      const { rows } = await stores.poolA.query('select 1 from users where id = $1', ['0f000000-0000-4000-8000-000000000001']);
      expect(rows).toEqual([]);
    } finally {
      await stores.poolB.query("delete from users where id = '0f000000-0000-4000-8000-000000000001'");
    }
  });

  it('a streamed copy killed (SIGKILL) mid-run resumes at its first unfinished chunk; chunks done before are not redone', async () => {
    await emptyExampleTables(stores.poolB);
    expect((await runCli(['--entity=users'])).code).toBe(0);
    const env = { PRIMARY_DATABASE_URL: stores.url('a'), CONTROL_DATABASE_URL: stores.controlUrl, SUPABASE_URL: stores.supabaseUrl, SUPABASE_DB_URL: stores.url('b') };
    // Chunks of the run this test starts only (earlier tests completed runs of budgets too).
    const since = (await stores.control.query<{ now: Date }>('select now()')).rows[0]?.now;
    const child = spawn(process.execPath, ['tools/run.js', 'tools/src/cli/copy-data.ts', '--entity=budgets', '--chunk-size=25', '--rate=50'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const doneChunks = async () =>
      (
        await stores.control.query<{ chunk_no: number; finished_at: Date }>(
          `select chunk_no, finished_at from dual_write_copy_chunks where status = 'done'
              and run_id = (select run_id from dual_write_copy_runs where entity = 'budgets' and started_at > $1 order by started_at desc limit 1) order by chunk_no`,
          [since],
        )
      ).rows;
    const deadline = Date.now() + 60_000;
    while ((await doneChunks()).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = await doneChunks();
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(10);

    const resumed = await runCli(['--entity=budgets', '--chunk-size=25']);

    expect(resumed.code).toBe(0);
    const line = new RegExp(`budgets: prisma → supabase, run \\S+ \\(resumed\\): ${10 - before.length} chunks copied, ${before.length} done before; (\\d+) rows copied`).exec(resumed.stdout);
    // The chunk in flight may have committed on store B before the kill: it is redone as a merge that adds nothing.
    expect([250 - 25 * before.length, 250 - 25 * (before.length + 1)]).toContain(Number(line?.[1]));
    const after = await doneChunks();
    expect(after.map((chunk) => chunk.chunk_no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(after.slice(0, before.length)).toEqual(before);
    const [a, b] = await Promise.all([stores.prisma.checksum(budgetsEntity), stores.supabase.checksum(budgetsEntity)]);
    expect(b).toEqual(a);
  });

  it('--method=key-sync copies through the key sync although SUPABASE_DB_URL is set', async () => {
    await emptyExampleTables(stores.poolB);
    const exit = await runCli(['--entity=users', '--method=key-sync']);
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain("copying through the key sync over the stores' APIs (--method=key-sync)");
    expect(exit.stdout).toContain('chunks by COPY 0, by merge 0, through KeySync 1');
  });

  it('refuses an unknown entity, listing the valid ones, and an invalid rate, before connecting to anything', async () => {
    const unknown = await runCli(['--entity=invoices']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--entity: unknown entity "invoices"; valid: all, users, budgets, posts, comments');
    const rate = await runCli(['--entity=all', '--rate=fast']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('--rate must be a positive integer (rows per second), got "fast"');
  });
});
