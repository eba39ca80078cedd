import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { PrismaStore, SupabaseStore } from '@dualwrite/stores';
import type { ReconcileTestDomain, SpecProcess } from '../../../test/reconcile-test-domain';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
const BASE_URL = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

function urlOf(database: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onDatabase(database: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function sqlFiles(dir: string, pick: (name: string) => string | null): string[] {
  return readdirSync(dir)
    .sort()
    .map(pick)
    .filter((file): file is string => file !== null)
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}

/**
 * Both stores of the example domain on databases of this suite's own, so whole-table counts and checksums see only
 * the suite's rows: store A (Prisma) on `dw_copy_t_<suffix>_a` with prisma/migrations, store B (supabase-js) through
 * a supabase-local process of its own (port 0) over `dw_copy_t_<suffix>_b` with the bootstrap and
 * supabase/migrations, and a control database `dw_control_copy_<suffix>` with the platform's control tables.
 * The spec hands in the domain (the test helpers' exampleTestDomain): its Prisma client, control database and
 * entry processes.
 */
export class ScratchStores {
  readonly suffix = randomBytes(4).toString('hex');
  readonly names = { a: `dw_copy_t_${this.suffix}_a`, b: `dw_copy_t_${this.suffix}_b`, control: `dw_control_copy_${this.suffix}` };
  prisma!: PrismaStore;
  supabase!: SupabaseStore;
  /** SQL on each store's database (key listing, foreign keys, and the specs' own checks). */
  poolA!: Pool;
  poolB!: Pool;
  control!: Pool;
  controlUrl!: string;
  supabaseUrl!: string;
  private endpoint: SpecProcess | undefined;

  constructor(readonly domain: ReconcileTestDomain) {}

  async start(): Promise<void> {
    await onDatabase('postgres', async (client) => {
      await client.query(`create database "${this.names.a}"`);
      await client.query(`create database "${this.names.b}"`);
    });
    const prismaSql = sqlFiles(path.join(ROOT, 'prisma', 'migrations'), (name) => (/^\d+_/.test(name) ? path.join(name, 'migration.sql') : null));
    await onDatabase(this.names.a, async (client) => {
      for (const sql of prismaSql) await client.query(sql);
    });
    const bootstrap = readFileSync(path.join(ROOT, 'tools', 'supabase-local', 'sql', 'bootstrap.sql'), 'utf8');
    const supabaseSql = sqlFiles(path.join(ROOT, 'supabase', 'migrations'), (name) => (name.endsWith('.sql') ? name : null));
    await onDatabase(this.names.b, async (client) => {
      for (const sql of [bootstrap, ...supabaseSql]) await client.query(sql);
    });
    this.controlUrl = await this.domain.controlDatabase(this.names.control);
    this.control = new Pool({ connectionString: this.controlUrl, max: 8 });
    this.poolA = new Pool({ connectionString: urlOf(this.names.a), max: 4 });
    this.poolB = new Pool({ connectionString: urlOf(this.names.b), max: 4 });
    for (const pool of [this.control, this.poolA, this.poolB]) pool.on('error', () => undefined);
    this.supabaseUrl = await this.startEndpoint();
    this.prisma = new PrismaStore(this.domain.prismaClient(urlOf(this.names.a)), { ownsClient: true });
    this.supabase = new SupabaseStore({ url: this.supabaseUrl, serviceRoleKey: process.env['SUPABASE_SERVICE_ROLE_KEY'] ?? '', databaseUrl: urlOf(this.names.b) });
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.prisma?.close(), this.supabase?.close(), this.poolA?.end(), this.poolB?.end(), this.control?.end()]);
    if (this.endpoint) {
      this.endpoint.kill('SIGTERM');
      // Its databases go whatever the endpoint does: at most 5 s, then it is killed.
      const exited = await Promise.race([this.endpoint.finished.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000))]);
      if (!exited) this.endpoint.kill('SIGKILL');
    }
    await onDatabase('postgres', async (client) => {
      for (const name of Object.values(this.names)) await client.query(`drop database if exists "${name}" with (force)`);
    });
  }

  url(side: 'a' | 'b'): string {
    return urlOf(this.names[side]);
  }

  private async startEndpoint(): Promise<string> {
    this.endpoint = this.domain.startEntryProcess('tools/supabase-local/src/main.ts', { SUPABASE_LOCAL_PORT: '0', SUPABASE_DB_URL: urlOf(this.names.b) });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const serving = /serving (http:\/\/[^\s]+)\/rest\/v1/.exec(this.endpoint.stdout());
      if (serving?.[1]) return serving[1];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`supabase-local did not start within 30 s: ${this.endpoint.stdout()}`);
  }
}
