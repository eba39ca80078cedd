import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleEntities } from '@dualwrite/example-domain';
import { withDatabase } from './database-url';
import { checkMigrations } from './migration-check';
import type { PipelineTarget } from './pipeline-target';
import {
  PRISMA_MIGRATIONS,
  REPO_ROOT,
  SUPABASE_BOOTSTRAP_SQL,
  SUPABASE_MIGRATIONS,
  createTestDatabase,
  migrateLikeSetup,
  migrationsWith,
  removeTemporaryMigrations,
  sql,
} from './testing/pipeline-test-databases';

const target = (databaseUrl: string, overrides: Partial<PipelineTarget> = {}): PipelineTarget => ({
  store: 'prisma',
  databaseUrl,
  layout: 'prisma',
  migrationsDir: PRISMA_MIGRATIONS,
  entities: exampleEntities,
  ...overrides,
});

/**
 * What `prisma migrate diff --from-empty --to-schema-datamodel <file> --script` builds (works without the schema
 * engine; prisma.config.ts needs a reachable database, the maintenance one is enough).
 */
function schemaFileSql(schemaFile: string): () => Promise<string> {
  return async () =>
    execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', schemaFile, '--script'],
      { cwd: REPO_ROOT, env: { ...process.env, PRIMARY_DATABASE_URL: withDatabase(database.url, 'postgres') }, stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString();
}

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeEach(async () => {
  database = await createTestDatabase('check');
});
afterEach(() => database.drop());
afterAll(() => removeTemporaryMigrations());

describe('checkMigrations (db:migration:check)', () => {
  it('on an empty database lists every migration as pending and finds no drift', async () => {
    const report = await checkMigrations(target(database.url));

    expect(report.pending).toEqual(['20261124000000_init', '20261129000000_store_contract_fixtures']);
    expect(report.applied).toEqual([]);
    expect(report.drift).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('reports a pending migration and the drift of a column and an index changed by hand', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, 'alter table users add column nickname text; drop index budgets_owner_id_idx');
    const migrationsDir = migrationsWith('prisma', { '20261201000000_posts_summary': 'alter table "posts" add column "summary" text;' });

    const report = await checkMigrations(target(database.url, { migrationsDir }));

    expect(report.pending).toEqual(['20261201000000_posts_summary']);
    expect(report.drift).toEqual([
      { kind: 'missing_index', table: 'budgets', name: 'budgets_owner_id_idx', expected: 'CREATE INDEX budgets_owner_id_idx ON public.budgets USING btree (owner_id)' },
      { kind: 'unexpected_column', table: 'users', name: 'nickname', actual: 'text' },
    ]);
    expect(report.ok).toBe(false);
  });

  it('reports a table a pending migration would create that already exists (a ledger that does not record the history)', async () => {
    await sql(database.url, readFileSync(path.join(PRISMA_MIGRATIONS, '20261124000000_init', 'migration.sql'), 'utf8'));

    const report = await checkMigrations(target(database.url));

    expect(report.pending).toEqual(['20261124000000_init', '20261129000000_store_contract_fixtures']);
    expect(report.conflicts).toEqual(['budgets', 'comments', 'posts', 'users']);
    expect(report.ok).toBe(false);
  });

  it('lists tables other tools manage (the control tables) apart, not as drift', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, 'create table dual_write_flags (id int primary key)');

    const report = await checkMigrations(target(database.url));

    expect(report).toMatchObject({ pending: [], drift: [], unmanagedTables: ['dual_write_flags'], ok: true });
  });

  it('reports an applied migration whose file was edited afterwards', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    const migrationsDir = migrationsWith('prisma', {});
    const file = path.join(migrationsDir, '20261124000000_init', 'migration.sql');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- edited\n`);

    const report = await checkMigrations(target(database.url, { migrationsDir }));

    expect(report.modified).toEqual(['20261124000000_init']);
    expect(report.ok).toBe(false);
  });

  it('compares prisma/schema.prisma with the migrations: clean for the repository, drift for a model changed without a migration', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    const clean = await checkMigrations(target(database.url, { schemaFileSql: schemaFileSql('prisma/schema.prisma') }));
    expect(clean.schemaFileDrift).toEqual([]);

    const edited = path.join(mkdtempSync(path.join(tmpdir(), 'dw-pipeline-schema-')), 'schema.prisma');
    writeFileSync(edited, readFileSync(path.join(REPO_ROOT, 'prisma', 'schema.prisma'), 'utf8').replace('displayName String    @map("display_name")', 'displayName String    @map("display_name")\n  nickname    String?'));
    const drifted = await checkMigrations(target(database.url, { schemaFileSql: schemaFileSql(edited) })).finally(() => rmSync(path.dirname(edited), { recursive: true, force: true }));

    expect(drifted.schemaFileDrift).toEqual([{ kind: 'missing_column', table: 'users', name: 'nickname', expected: 'text' }]);
    expect(drifted.ok).toBe(false);
  }, 60_000);

  it("store B: compares RLS and policies too, on a shadow database with the Supabase bootstrap", async () => {
    await migrateLikeSetup(database.url, 'supabase');
    await sql(database.url, 'alter table posts disable row level security; drop policy comments_service_role_all on comments');
    const storeB = target(database.url, { store: 'supabase', layout: 'supabase', migrationsDir: SUPABASE_MIGRATIONS, shadowPreambleSql: SUPABASE_BOOTSTRAP_SQL });

    const report = await checkMigrations(storeB);

    expect(report.pending).toEqual([]);
    expect(report.drift).toEqual([
      expect.objectContaining({ kind: 'missing_policy', table: 'comments', name: 'comments_service_role_all' }),
      { kind: 'rls_changed', table: 'posts', expected: 'row level security on', actual: 'row level security off' },
    ]);
  });
});
