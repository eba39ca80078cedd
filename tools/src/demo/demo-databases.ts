import path from 'node:path';
import { Client } from 'pg';
import { withDatabase } from '@dualwrite/backup';
import type { PlatformConfig } from '@dualwrite/config';
import { redactUrl } from '../setup/databases';
import { prepareLocalStoreB, prepareStoreA } from '../setup/store-databases';

const root = path.resolve(__dirname, '..', '..', '..');

/** The demo's own databases: it recreates them every run, so it starts from empty stores on any machine. */
export const DEMO_DATABASES = { a: 'dw_demo_a', b: 'dw_demo_b' } as const;

/**
 * The settings the demo runs under, over the configured ones: its own store A (also the control database) and
 * store B databases, its own local Supabase endpoint (the configured port + 10), and its own Redis prefix, queues
 * and backup folder, so a running `npm start` neither sees nor serves anything of the demo's.
 */
export function demoEnvironment(config: PlatformConfig): Record<string, string> {
  const dbUrl = config.supabase?.dbUrl;
  if (!dbUrl) throw new Error('the demo runs its own local Supabase endpoint: set SUPABASE_DB_URL (the PostgreSQL server it may create a database on)');
  const port = config.supabaseLocal.port + 10;
  return {
    PRIMARY_DATABASE_URL: withDatabase(config.primaryDatabaseUrl, DEMO_DATABASES.a),
    CONTROL_DATABASE_URL: '',
    SUPABASE_DB_URL: withDatabase(dbUrl, DEMO_DATABASES.b),
    SUPABASE_URL: `http://127.0.0.1:${port}`,
    SUPABASE_LOCAL_PORT: String(port),
    DW_REDIS_PREFIX: 'dw-demo',
    DW_REPLAY_QUEUE: 'dw-demo-replay',
    DW_DIFFS_QUEUE: 'dw-demo-diffs',
    DW_BACKUP_QUEUE: 'dw-demo-backups',
    BACKUP_STORAGE_PATH: path.join(root, 'tmp', 'demo-backups'),
  };
}

/** Drops the demo's databases (ending their sessions) and creates them again with every migration applied. */
export async function recreateDemoDatabases(demo: PlatformConfig, log: (line: string) => void): Promise<void> {
  const dbUrl = demo.supabase?.dbUrl as string;
  for (const url of [demo.primaryDatabaseUrl, dbUrl]) {
    const maintenance = new URL(url);
    const name = maintenance.pathname.slice(1);
    maintenance.pathname = '/postgres';
    const client = new Client({ connectionString: maintenance.toString() });
    await client.connect();
    try {
      await client.query(`drop database if exists "${name}" with (force)`);
    } finally {
      await client.end();
    }
    log(`dropped ${redactUrl(url)}`);
  }
  await prepareStoreA({ primary: demo.primaryDatabaseUrl, control: demo.controlDatabaseUrl }, log);
  await prepareLocalStoreB(dbUrl, log);
}
