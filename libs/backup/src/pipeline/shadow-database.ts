import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseNameOf, quoteIdentifier, withDatabase } from './database-url';
import { readSchemaCatalog, type SchemaCatalog } from './schema-catalog';

/**
 * The catalog a list of SQL scripts builds from an empty database, the way Prisma Migrate uses a shadow database:
 * a scratch database `<target>_shadow_<random>` is created on the target's server, the scripts run in order, its
 * catalog is read, and it is dropped whatever happened. Needs the CREATEDB privilege on that server.
 */
export async function catalogBuiltBy(targetUrl: string, scripts: { name: string; sql: string }[]): Promise<SchemaCatalog> {
  const shadowName = `${databaseNameOf(targetUrl).slice(0, 40)}_shadow_${randomBytes(4).toString('hex')}`;
  const maintenanceUrl = withDatabase(targetUrl, 'postgres');
  await onDatabase(maintenanceUrl, (client) => client.query(`create database ${quoteIdentifier(shadowName)}`));
  try {
    return await onDatabase(withDatabase(targetUrl, shadowName), async (client) => {
      for (const script of scripts) {
        try {
          await client.query(script.sql);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(`${script.name} fails on an empty database (shadow ${shadowName}): ${reason}`, { cause: error });
        }
      }
      return readSchemaCatalog(client);
    });
  } finally {
    await onDatabase(maintenanceUrl, (client) => client.query(`drop database if exists ${quoteIdentifier(shadowName)} with (force)`));
  }
}

async function onDatabase<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
