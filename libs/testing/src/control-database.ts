import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';

const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'dual-write', 'migrations');

/**
 * A control database of its own for a test suite (flags, ledger, diffs), created and migrated when missing,
 * so suites that flip the phase flags never disturb each other or a running app. Returns its URL.
 */
export async function prepareControlDatabase(name: string, baseUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary'): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`control database name "${name}" must be a plain lowercase identifier`);
  const url = new URL(baseUrl);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await admin.query(`create database "${name}"`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // created meanwhile by a parallel run
    });
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  await new SqlMigrationRunner('platform', MIGRATIONS_DIR).run(url.toString());
  return url.toString();
}
