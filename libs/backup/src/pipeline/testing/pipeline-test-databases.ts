import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '../../migrations/sql-migration-runner';
import { withDatabase } from '../database-url';
import { readSchemaCatalog, type SchemaCatalog } from '../schema-catalog';

/** Specs of the migration pipeline and schema sync: databases of their own (dw_pipeline_t_*), real migrations. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
export const PRISMA_MIGRATIONS = path.join(REPO_ROOT, 'prisma', 'migrations');
export const SUPABASE_MIGRATIONS = path.join(REPO_ROOT, 'supabase', 'migrations');
export const SUPABASE_BOOTSTRAP_SQL = readFileSync(path.join(REPO_ROOT, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8');

const SERVER_URL = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
let counter = 0;

/** A fresh, empty database named dw_pipeline_t_<label>_<pid>_<n>; `drop()` removes it. */
export async function createTestDatabase(label: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  counter += 1;
  const name = `dw_pipeline_t_${label}_${process.pid}_${counter}`;
  await onDatabase(withDatabase(SERVER_URL, 'postgres'), (client) => client.query(`create database "${name}"`));
  return {
    name,
    url: withDatabase(SERVER_URL, name),
    drop: () => onDatabase(withDatabase(SERVER_URL, 'postgres'), (client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

export async function onDatabase<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const sql = (url: string, text: string) => onDatabase(url, (client) => client.query(text));
export const catalogOf = (url: string): Promise<SchemaCatalog> => onDatabase(url, (client) => readSchemaCatalog(client));

/** Applies the repository's migrations of a store (store B: after the local Supabase bootstrap). */
export async function migrateLikeSetup(url: string, layout: 'prisma' | 'supabase'): Promise<void> {
  if (layout === 'supabase') await sql(url, SUPABASE_BOOTSTRAP_SQL);
  await new SqlMigrationRunner(layout, layout === 'prisma' ? PRISMA_MIGRATIONS : SUPABASE_MIGRATIONS).run(url);
}

const temporaryDirs: string[] = [];

/** Removes the folders migrationsWith made (call in afterAll). */
export function removeTemporaryMigrations(): void {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A copy of a store's migration folder with extra migrations appended (id → SQL). */
export function migrationsWith(layout: 'prisma' | 'supabase', extra: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-pipeline-migrations-'));
  temporaryDirs.push(dir);
  cpSync(layout === 'prisma' ? PRISMA_MIGRATIONS : SUPABASE_MIGRATIONS, dir, { recursive: true });
  for (const [id, text] of Object.entries(extra)) {
    if (layout === 'prisma') {
      mkdirSync(path.join(dir, id));
      writeFileSync(path.join(dir, id, 'migration.sql'), text);
    } else {
      writeFileSync(path.join(dir, `${id}.sql`), text);
    }
  }
  return dir;
}

/** A local HTTP listener on a free port that keeps every JSON body POSTed to it. */
export async function startWebhookListener(): Promise<{ url: string; received: unknown[]; close(): Promise<void> }> {
  const received: unknown[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/migrations`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A control database of the suite's own (backups index, ledger), migrated with the platform's control tables. */
export async function createControlDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const control = await createTestDatabase('ctl');
  await new SqlMigrationRunner('platform', path.join(REPO_ROOT, 'libs', 'dual-write', 'migrations')).run(control.url);
  return control;
}
