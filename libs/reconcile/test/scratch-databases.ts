import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';

const BASE_URL = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

function urlOf(database: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Two databases of this suite's own (`dw_reconcile_t_<suffix>_a` and `_b`), standing for store A's and store B's
 * PostgreSQL, created fresh and dropped at the end, so nothing another suite runs can touch them.
 */
export class ScratchDatabases {
  readonly suffix = randomBytes(4).toString('hex');
  readonly names: { a: string; b: string };
  a!: Pool;
  b!: Pool;

  constructor(label: string) {
    this.names = { a: `dw_reconcile_t_${label}_${this.suffix}_a`, b: `dw_reconcile_t_${label}_${this.suffix}_b` };
  }

  async create(): Promise<void> {
    await admin(async (client) => {
      for (const name of Object.values(this.names)) await client.query(`create database "${name}"`);
    });
    this.a = new Pool({ connectionString: urlOf(this.names.a), max: 4 });
    this.b = new Pool({ connectionString: urlOf(this.names.b), max: 4 });
    // An idle connection that is cut (a drop, a server restart) must not crash the suite; the next query reports it.
    for (const pool of [this.a, this.b]) pool.on('error', () => undefined);
  }

  async drop(): Promise<void> {
    await Promise.allSettled([this.a?.end(), this.b?.end()]);
    await admin(async (client) => {
      for (const name of Object.values(this.names)) await client.query(`drop database if exists "${name}" with (force)`);
    });
  }

  url(side: 'a' | 'b'): string {
    return urlOf(this.names[side]);
  }
}

/** A fresh scratch control database: the URL of one created with `name` (the caller drops it). */
export async function createScratchDatabase(name: string): Promise<string> {
  await admin((client) => client.query(`create database "${name}"`));
  return urlOf(name);
}

export async function dropScratchDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
}

/**
 * Runs the reconcile migrations' SQL in order, each in a transaction, on a scratch database. (Entry points apply
 * them with SqlMigrationRunner; this lib's specs may not import @dualwrite/backup, and the CLI spec proves that path.)
 */
export async function applyReconcileTables(pool: Pool): Promise<void> {
  const dir = path.resolve(__dirname, '..', 'migrations');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.sql')).sort()) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(readFileSync(path.join(dir, file), 'utf8'));
      await client.query('commit');
    } finally {
      client.release();
    }
  }
}
