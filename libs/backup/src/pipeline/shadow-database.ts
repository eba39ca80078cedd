import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseNameOf, quoteIdentifier, withDatabase } from './database-url';
import { readSchemaCatalog, type SchemaCatalog } from './schema-catalog';

export interface ShadowScript {
  name: string;
  sql: string;
}

export interface ShadowBuild {
  catalog: SchemaCatalog;
  /** The first script that failed (later ones were not run); the catalog is what the scripts before it built. */
  failure?: { script: string; message: string };
}

/**
 * The catalog a list of SQL scripts builds from an empty database, the way Prisma Migrate uses a shadow database:
 * a scratch database `<target>_shadow_<random>` is created on the target's server, the scripts run in order, its
 * catalog is read, and it is dropped whatever happened (at once when `signal` aborts: its sessions end with it).
 * Needs the CREATEDB privilege on that server. A failing script ends the build and is reported, not thrown.
 */
export async function buildShadow(targetUrl: string, scripts: ShadowScript[], signal?: AbortSignal): Promise<ShadowBuild> {
  const shadowName = `${databaseNameOf(targetUrl).slice(0, 40)}_shadow_${randomBytes(4).toString('hex')}`;
  const maintenanceUrl = withDatabase(targetUrl, 'postgres');
  const drop = () => onDatabase(maintenanceUrl, (client) => client.query(`drop database if exists ${quoteIdentifier(shadowName)} with (force)`));
  await onDatabase(maintenanceUrl, (client) => client.query(`create database ${quoteIdentifier(shadowName)}`));
  const onAbort = () => void drop().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await onDatabase(withDatabase(targetUrl, shadowName), async (client) => {
      for (const script of scripts) {
        try {
          await client.query(script.sql);
        } catch (error) {
          if (signal?.aborted) throw error;
          return { catalog: await readSchemaCatalog(client), failure: { script: script.name, message: error instanceof Error ? error.message : String(error) } };
        }
      }
      return { catalog: await readSchemaCatalog(client) };
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await drop();
  }
}

/** buildShadow for scripts that must all succeed: a failing one throws, naming it. */
export async function catalogBuiltBy(targetUrl: string, scripts: ShadowScript[], signal?: AbortSignal): Promise<SchemaCatalog> {
  const build = await buildShadow(targetUrl, scripts, signal);
  if (build.failure) throw new Error(`${build.failure.script} fails on an empty database (shadow): ${build.failure.message}`);
  return build.catalog;
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
