import { Client, Pool } from 'pg';
import { withDatabase } from '@dualwrite/backup';

const SERVER_URL = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

/** The URL of `database` on the specs' PostgreSQL server (PRIMARY_DATABASE_URL's, another database). */
export function scratchDatabaseUrl(database: string): string {
  return withDatabase(SERVER_URL, database);
}

/** Runs `sql` on `database` in a connection of its own (`postgres` for create / drop database). */
export async function onDatabase(database: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: scratchDatabaseUrl(database) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A pool on a scratch database that a suite drops at its end (`drop database … with (force)`): the drop may
 * terminate a connection the pool is still closing, and without a listener the pool would throw that as an
 * unhandled 'error' and fail the suite after its tests passed.
 */
export function scratchPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}
