import { Client } from 'pg';
import { waitUntil } from './local-services';

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`Database name "${name}" in ${redactUrl(url)} must be a plain identifier.`);
  }
  return name;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function canQuery(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database named in the URL when it does not exist (connecting to `postgres` to do so). */
export async function ensureDatabase(url: string, log: (line: string) => void): Promise<void> {
  const name = databaseName(url);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  // A server that was just started accepts connections a moment before it accepts queries.
  await waitUntil(() => canQuery(maintenance.toString()), 30_000, 'PostgreSQL');
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) {
      log(`database ${name}: exists`);
      return;
    }
    await client.query(`create database "${name}"`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // created by a concurrent setup
    });
    log(`database ${name}: created`);
  } finally {
    await client.end();
  }
}
