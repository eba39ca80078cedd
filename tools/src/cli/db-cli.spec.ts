import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVER = new URL(process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary');
const urlOf = (database: string) => Object.assign(new URL(SERVER.toString()), { pathname: `/${database}` }).toString();
const STORE_A = `dw_pipeline_t_cli_${process.pid}`;
const CONTROL = `dw_pipeline_t_cli_ctl_${process.pid}`;

function runDb(entry: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['tools/run.js', `tools/src/cli/${entry}.ts`, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.each([
  ['db:backup', 'db-backup'],
  ['db:migration:check', 'db-migration-check'],
  ['db:migration:deploy', 'db-migration-deploy'],
  ['db:migration:validate', 'db-migration-validate'],
  ['db:health:check', 'db-health-check'],
  ['db:migrate', 'db-migrate'],
])('npm run %s', (name, entry) => {
  it('refuses an unknown flag naming it, with the usage line and exit code 2', async () => {
    const run = await runDb(entry, ['--nonsense']);

    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(["Unknown option '--nonsense'", `usage: npm run ${name} -- [--store=prisma|supabase] [--json] (--help for more)`]);
    expect(run.stdout).toBe('');
  });
});

describe('npm run db:migrate', () => {
  let storage: string;
  const env = () => ({ PRIMARY_DATABASE_URL: urlOf(STORE_A), CONTROL_DATABASE_URL: urlOf(CONTROL), BACKUP_STORAGE_PATH: storage, NOTIFICATION_WEBHOOK: '' });
  async function onStoreA(sql: string): Promise<void> {
    const client = new Client({ connectionString: urlOf(STORE_A) });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    storage = mkdtempSync(path.join(tmpdir(), 'dw-pipeline-cli-'));
    await admin(`drop database if exists "${CONTROL}" with (force)`);
    await admin(`create database "${CONTROL}"`);
    await new SqlMigrationRunner('platform', path.join(ROOT, 'libs', 'dual-write', 'migrations')).run(urlOf(CONTROL));
  });
  beforeEach(async () => {
    await admin(`drop database if exists "${STORE_A}" with (force)`);
    await admin(`create database "${STORE_A}"`);
  });
  afterAll(async () => {
    await admin(`drop database if exists "${STORE_A}" with (force)`);
    await admin(`drop database if exists "${CONTROL}" with (force)`);
    rmSync(storage, { recursive: true, force: true });
  });

  it('stops at check when the tables exist but the ledger does not record them: exit 1, JSON report, nothing changed', async () => {
    await onStoreA(readFileSync(path.join(ROOT, 'prisma', 'migrations', '20261124000000_init', 'migration.sql'), 'utf8'));

    const run = await runDb('db-migrate', ['--json'], env());

    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ result: 'failed_unchanged', notification: 'not_configured' });
    expect(report.steps.map((step: { step: string }) => step.step)).toEqual(['check']);
    expect(report.steps[0].errors[0]).toBe(
      'table budgets already exists but a pending migration creates it (a database whose ledger does not record its migrations: baseline the ledger first)',
    );
  }, 120_000);

  it('deploys the pending migration of a database one migration behind: check, backup, deploy, validate, health; exit 0', async () => {
    const onlyInit = mkdtempSync(path.join(tmpdir(), 'dw-pipeline-cli-init-'));
    cpSync(path.join(ROOT, 'prisma', 'migrations', '20261124000000_init'), path.join(onlyInit, '20261124000000_init'), { recursive: true });
    await new SqlMigrationRunner('prisma', onlyInit).run(urlOf(STORE_A));

    const run = await runDb('db-migrate', [], env());

    expect(run.stderr).toContain('[db:migrate] deploy: succeeded');
    expect(run.stdout.split('\n')[0]).toBe(`db:migrate on prisma (${STORE_A}): deployed`);
    expect(run.stdout).toMatch(/ {2}backup: prisma-\S+~\S+-full-a-\S+/);
    expect(run.code).toBe(0);
  }, 120_000);
});
