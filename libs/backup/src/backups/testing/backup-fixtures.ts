import type { EntityDefinition } from '@dualwrite/stores';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '../../migrations/sql-migration-runner';
import { BackupService } from '../backup-service';

/** Spec support for the backup suites: databases of their own (prefix dw_backup_t_), a temp storage folder. */

const BASE_URL = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const PRISMA_MIGRATIONS = path.resolve(__dirname, '..', '..', '..', '..', '..', 'prisma', 'migrations');
const CONTROL_MIGRATIONS = path.resolve(__dirname, '..', '..', '..', '..', 'dual-write', 'migrations');

export function databaseUrl(name: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
}

/** An empty database (dropped first when it exists). */
export async function emptyDatabase(name: string): Promise<string> {
  await dropDatabase(name);
  await admin((client) => client.query(`create database "${name}"`));
  return databaseUrl(name);
}

/** A database with store A's schema (prisma/migrations), as setup builds dw_primary. */
export async function storeADatabase(name: string): Promise<string> {
  const url = await emptyDatabase(name);
  await new SqlMigrationRunner('prisma', PRISMA_MIGRATIONS).run(url);
  return url;
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Deterministic example rows: `users` users, each with a budget and a post, each post with `commentsPerPost` comments. */
export async function seedExampleRows(url: string, { users = 20, commentsPerPost = 2, tag = 'seed' } = {}): Promise<string[]> {
  return withClient(url, async (client) => {
    const userIds: string[] = [];
    for (let n = 0; n < users; n += 1) {
      const userId = randomUUID();
      userIds.push(userId);
      await client.query('insert into users (id, email, display_name) values ($1, $2, $3)', [userId, `${tag}-${n}@example.test`, `User ${n}\twith tab`]);
      await client.query(`insert into budgets (id, owner_id, name, amount, currency, metadata) values ($1, $2, $3, $4, 'EUR', $5)`, [
        randomUUID(),
        userId,
        `Budget ${n}`,
        `${n}.25`,
        JSON.stringify({ n, note: 'line\nbreak \\ backslash' }),
      ]);
      const postId = randomUUID();
      await client.query('insert into posts (id, author_id, title, body, published) values ($1, $2, $3, $4, $5)', [postId, userId, `Post ${n}`, `Body ${n}`, n % 2 === 0]);
      for (let c = 0; c < commentsPerPost; c += 1) {
        await client.query('insert into comments (post_id, author_id, body) values ($1, $2, $3)', [postId, userId, `Comment ${c} on ${n}`]);
      }
    }
    return userIds;
  });
}

/** Every entity's table's rows in key order, every column as text: what "row for row" compares. */
export async function tableRows(url: string, entities: EntityDefinition[]): Promise<Record<string, string[]>> {
  return withClient(url, async (client) => {
    const tables: Record<string, string[]> = {};
    for (const entity of entities) {
      const { rows } = await client.query<{ row: string }>(`select to_jsonb(t)::text as row from "${entity.table}" t order by t.id`);
      tables[entity.table] = rows.map((row) => row.row);
    }
    return tables;
  });
}

/**
 * Records deletes in the operation ledger as the engine leaves them once applied (one operation per key). Written
 * with SQL: importing the engine's OperationLedger here would make an Nx project cycle (dual-write's specs use
 * the test helpers lib, which uses this lib).
 */
export async function recordDeletes(controlUrl: string, entity: string, keys: string[]): Promise<void> {
  await withClient(controlUrl, async (client) => {
    for (const key of keys) {
      await client.query(
        `insert into dual_write_ops (op_id, entity, operation, entity_ids, payload, primary_store, secondary_store, status, flag_version)
         values ($1, $2, 'delete', $3, $4, 'prisma', 'supabase', 'applied', 1)`,
        [randomUUID(), entity, [key], JSON.stringify({ id: key })],
      );
    }
  });
}

export interface BackupSuite {
  service: BackupService;
  sourceUrl: string;
  controlUrl: string;
  storagePath: string;
  cleanup(): Promise<void>;
}

/**
 * A source database with store A's schema, a control database and a storage folder, all of the suite's own; the
 * service backs up `entities` (the spec's domain: this lib's code may not import the example domain).
 */
export async function backupSuite(prefix: string, entities: EntityDefinition[], overlapMs = 0): Promise<BackupSuite> {
  const sourceName = `dw_backup_t_${prefix}_src`;
  const sourceUrl = await storeADatabase(sourceName);
  const controlName = `dw_backup_t_${prefix}_ctl`;
  const controlUrl = await emptyDatabase(controlName);
  await new SqlMigrationRunner('platform', CONTROL_MIGRATIONS).run(controlUrl);
  const storagePath = await mkdtemp(path.join(tmpdir(), `dw-backup-${prefix}-`));
  const service = new BackupService({ storagePath, controlDatabaseUrl: controlUrl, entities, sources: { a: { databaseUrl: sourceUrl } }, overlapMs });
  return {
    service,
    sourceUrl,
    controlUrl,
    storagePath,
    async cleanup() {
      await service.close();
      await rm(storagePath, { recursive: true, force: true });
      await dropDatabase(sourceName);
      await dropDatabase(controlName);
    },
  };
}

/** `users` users with a budget and a post each, written by one statement per table (distinct text per row). */
export async function seedBulkUsers(url: string, users: number): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(
      `insert into users (id, email, display_name) select md5('u' || i)::uuid, 'bulk-' || i || '@example.test', md5('name' || i) from generate_series(1, $1) i`,
      [users],
    );
    await client.query(
      `insert into budgets (id, owner_id, name, amount, currency) select md5('b' || i)::uuid, md5('u' || i)::uuid, md5('budget' || i), i, 'EUR' from generate_series(1, $1) i`,
      [users],
    );
    await client.query(
      `insert into posts (id, author_id, title, body) select md5('p' || i)::uuid, md5('u' || i)::uuid, md5('t' || i), repeat(md5('body' || i), 4) from generate_series(1, $1) i`,
      [users],
    );
  });
}
