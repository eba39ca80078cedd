import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { MigrationChecksumError, SqlMigrationRunner } from './sql-migration-runner';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const serverUrl = new URL(process.env.PRIMARY_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary');
const databaseName = `dw_migration_test_${process.pid}_${Date.now()}`;
const databaseUrl = (() => {
  const url = new URL(serverUrl.toString());
  url.pathname = `/${databaseName}`;
  return url.toString();
})();

async function onServer<T>(work: (client: Client) => Promise<T>, url: string = databaseUrl): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function maintenanceUrl(): string {
  const url = new URL(serverUrl.toString());
  url.pathname = '/postgres';
  return url.toString();
}

function prismaMigrations(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'prisma-migrations-'));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

const tableExists = (table: string) =>
  onServer(async (client) => (await client.query('select to_regclass($1) as t', [table])).rows[0].t !== null);

beforeEach(async () => {
  await onServer((client) => client.query(`create database "${databaseName}"`), maintenanceUrl());
});

afterEach(async () => {
  await onServer((client) => client.query(`drop database if exists "${databaseName}" with (force)`), maintenanceUrl());
});

describe('SqlMigrationRunner', () => {
  it('applies the repository Prisma migrations to an empty database and records them like Prisma Migrate', async () => {
    const runner = new SqlMigrationRunner('prisma', path.join(__dirname, '..', '..', '..', '..', 'prisma', 'migrations'));
    const result = await runner.run(databaseUrl);

    const expected = readdirSync(path.join(__dirname, '..', '..', '..', '..', 'prisma', 'migrations'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(expected).toContain('20261124000000_init');
    expect(result.applied).toEqual(expected);
    expect(await tableExists('public.budgets')).toBe(true);
    const recorded = await onServer((client) =>
      client.query('select migration_name, finished_at is not null as finished from "_prisma_migrations" order by migration_name'),
    );
    expect(recorded.rows).toEqual(expected.map((name) => ({ migration_name: name, finished: true })));
  });

  it('gives store B the same example tables and columns as store A (bootstrap, then supabase/migrations)', async () => {
    const repo = path.join(__dirname, '..', '..', '..', '..');
    const columnsOf = async (schemaUrl: string) =>
      onServer(async (client) => {
        const { rows } = await client.query(
          `select table_name, column_name, data_type, is_nullable, numeric_precision, numeric_scale
             from information_schema.columns
            where table_schema = 'public' and table_name in ('users', 'budgets', 'posts', 'comments')
            order by table_name, column_name`,
        );
        return rows;
      }, schemaUrl);
    const storeA = await columnsOf(process.env.PRIMARY_DATABASE_URL ?? serverUrl.toString());

    await onServer((client) => client.query(readFileSync(path.join(repo, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8')));
    await new SqlMigrationRunner('supabase', path.join(repo, 'supabase', 'migrations')).run(databaseUrl);

    expect(storeA.length).toBeGreaterThan(20);
    expect(await columnsOf(databaseUrl)).toEqual(storeA);
    const rls = await onServer((client) =>
      client.query(`select relname from pg_class where relrowsecurity and relnamespace = 'public'::regnamespace order by relname`),
    );
    expect(rls.rows.map((row) => row.relname)).toEqual(
      expect.arrayContaining(['budgets', 'comments', 'posts', 'users', 'contract_items', 'contract_notes', 'contract_owners', 'contract_posts']),
    );
    const tables = await onServer((client) =>
      client.query(`select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace and not relrowsecurity`),
    );
    expect(tables.rows).toEqual([]);
  });

  it('applies nothing the second time', async () => {
    const dir = prismaMigrations({ '20260101000000_first': 'create table first_table (id int primary key);' });
    await new SqlMigrationRunner('prisma', dir).run(databaseUrl);
    const second = await new SqlMigrationRunner('prisma', dir).run(databaseUrl);
    expect(second).toEqual({ applied: [], alreadyApplied: ['20260101000000_first'] });
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const dir = prismaMigrations({ '20260101000000_first': 'create table first_table (id int primary key);' });
    await new SqlMigrationRunner('prisma', dir).run(databaseUrl);
    writeFileSync(path.join(dir, '20260101000000_first', 'migration.sql'), 'create table other_table (id int);');

    await expect(new SqlMigrationRunner('prisma', dir).run(databaseUrl)).rejects.toBeInstanceOf(MigrationChecksumError);
    expect(await tableExists('public.other_table')).toBe(false);
  });

  it('rolls back a failing migration whole and records nothing for it', async () => {
    const dir = prismaMigrations({
      '20260101000000_good': 'create table good_table (id int primary key);',
      '20260102000000_broken': 'create table half_table (id int primary key);\nselect * from no_such_table;',
    });

    await expect(new SqlMigrationRunner('prisma', dir).run(databaseUrl)).rejects.toThrow(
      /Migration 20260102000000_broken failed and was rolled back: relation "no_such_table" does not exist/,
    );
    expect(await tableExists('public.good_table')).toBe(true);
    expect(await tableExists('public.half_table')).toBe(false);
    const names = await onServer((client) => client.query('select migration_name from "_prisma_migrations"'));
    expect(names.rows.map((row) => row.migration_name)).toEqual(['20260101000000_good']);
  });

  it('survives its session being terminated (pg_terminate_backend): the process lives on and the caller gets a clear error', async () => {
    const dir = prismaMigrations({
      '20260101000000_before': 'create table before_table (id int primary key);',
      '20260102000000_slow': 'create table slow_table (id int primary key);\nselect pg_sleep(60);',
    });
    const url = new URL(databaseUrl);
    url.searchParams.set('application_name', 'dw_h4_runner_terminated');
    // Its own process: an 'error' event nobody listens to would kill it, which Jest's own process must not hide.
    const script = `
      process.env.SWC_NODE_PROJECT = ${JSON.stringify(path.join(ROOT, 'tsconfig.base.json'))};
      require(${JSON.stringify(require.resolve('@swc-node/register'))});
      const { SqlMigrationRunner } = require(${JSON.stringify(path.join(__dirname, 'sql-migration-runner.ts'))});
      new SqlMigrationRunner('prisma', ${JSON.stringify(dir)}).run(${JSON.stringify(url.toString())})
        .then(() => console.log('applied'), (error) => console.log(error.name + ': ' + error.message))
        .then(() => setTimeout(() => console.log('still running'), 500));
    `;
    const child = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const process_ = execFile(process.execPath, ['-e', script], { timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
      process_.stdin?.end();
    });
    const terminated = await onServer(async (client) => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        const { rows } = await client.query<{ ended: boolean }>(
          `select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = 'dw_h4_runner_terminated' and query like '%pg_sleep%'`,
        );
        if (rows.length > 0) return rows.every((row) => row.ended);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    }, maintenanceUrl());

    const exit = await child;
    expect(terminated).toBe(true);
    expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: 0, stderr: '' });
    expect(exit.stdout.trim().split('\n')).toEqual([
      `MigrationSessionLostError: The session on database "${databaseName}" ended (terminating connection due to administrator command) ` +
        'while applying migration 20260102000000_slow, which was not committed; migrations applied before it stay applied. Run the migrations again.',
      'still running',
    ]);
    expect(await tableExists('public.before_table')).toBe(true);
    expect(await tableExists('public.slow_table')).toBe(false);
  });

  it('records Supabase migrations by version in supabase_migrations.schema_migrations', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'supabase-migrations-'));
    writeFileSync(path.join(dir, '20260101000000_create_notes.sql'), 'create table notes (id int primary key);');
    writeFileSync(path.join(dir, 'README.txt'), 'not a migration');

    const result = await new SqlMigrationRunner('supabase', dir).run(databaseUrl);

    expect(result.applied).toEqual(['20260101000000']);
    const recorded = await onServer((client) =>
      client.query('select version, name from supabase_migrations.schema_migrations'),
    );
    expect(recorded.rows).toEqual([{ version: '20260101000000', name: 'create_notes' }]);
  });
});
