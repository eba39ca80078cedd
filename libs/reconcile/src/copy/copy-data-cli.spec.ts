import { execFile } from 'node:child_process';
import path from 'node:path';
import { exampleEntities } from '@dualwrite/example-domain';
import { ScratchStores } from './testing/scratch-stores';
import { seedExampleRows } from './testing/seed';

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
  const stores = new ScratchStores();

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

  it('refuses an unknown entity, listing the valid ones, and an invalid rate, before connecting to anything', async () => {
    const unknown = await runCli(['--entity=invoices']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--entity: unknown entity "invoices"; valid: all, users, budgets, posts, comments');
    const rate = await runCli(['--entity=all', '--rate=fast']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('--rate must be a positive integer (rows per second), got "fast"');
  });
});
