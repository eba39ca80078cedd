import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';

/**
 * prisma/schema.prisma and prisma/migrations must describe the same database. Prisma's own drift
 * check needs the native schema engine, so this builds one database from each and compares catalogs.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const server = new URL(process.env.PRIMARY_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary');
const suffix = `${process.pid}_${Date.now()}`;
const fromSchema = `dw_drift_schema_${suffix}`;
const fromMigrations = `dw_drift_migrations_${suffix}`;

function urlFor(database: string): string {
  const url = new URL(server.toString());
  url.pathname = `/${database}`;
  return url.toString();
}

async function query<T extends object>(database: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: urlFor(database) });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const catalog = (database: string) =>
  Promise.all([
    query(
      database,
      `select table_name, column_name, data_type, is_nullable, column_default, numeric_precision, numeric_scale
         from information_schema.columns where table_schema = 'public' and table_name <> '_prisma_migrations'
        order by 1, 2`,
    ),
    query(database, `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' and tablename <> '_prisma_migrations' order by 1, 2`),
    query(
      database,
      `select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as definition
         from pg_constraint where connamespace = 'public'::regnamespace and conrelid::regclass::text <> '_prisma_migrations' order by 1, 2`,
    ),
  ]);

beforeAll(async () => {
  await query('postgres', `create database "${fromSchema}"`);
  await query('postgres', `create database "${fromMigrations}"`);
});

afterAll(async () => {
  await query('postgres', `drop database if exists "${fromSchema}" with (force)`);
  await query('postgres', `drop database if exists "${fromMigrations}" with (force)`);
});

it('prisma/migrations produce exactly the database prisma/schema.prisma describes', async () => {
  const script = execFileSync(
    process.execPath,
    [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
    { cwd: root, env: { ...process.env, PRIMARY_DATABASE_URL: urlFor(fromSchema) }, stdio: ['ignore', 'pipe', 'pipe'] },
  ).toString();
  await query(fromSchema, script);
  await new SqlMigrationRunner('prisma', path.join(root, 'prisma', 'migrations')).run(urlFor(fromMigrations));

  const [schemaColumns, schemaIndexes, schemaConstraints] = await catalog(fromSchema);
  const [migratedColumns, migratedIndexes, migratedConstraints] = await catalog(fromMigrations);
  expect(schemaColumns.length).toBeGreaterThan(0);
  expect(migratedColumns).toEqual(schemaColumns);
  expect(migratedIndexes).toEqual(schemaIndexes);
  expect(migratedConstraints).toEqual(schemaConstraints);
});
