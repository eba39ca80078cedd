import { exampleEntities } from '@dualwrite/example-domain';
import { validateMigrations } from './migration-validate';
import type { PipelineTarget } from './pipeline-target';
import { PRISMA_MIGRATIONS, SUPABASE_BOOTSTRAP_SQL, SUPABASE_MIGRATIONS, createTestDatabase, migrateLikeSetup, onDatabase, sql } from './testing/pipeline-test-databases';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeEach(async () => {
  database = await createTestDatabase('validate');
});
afterEach(() => database.drop());

const storeA = (databaseUrl: string): PipelineTarget => ({ store: 'prisma', databaseUrl, layout: 'prisma', migrationsDir: PRISMA_MIGRATIONS, entities: exampleEntities });
const rowCounts = (url: string) =>
  onDatabase(url, async (client) => (await client.query('select (select count(*) from users)::int as users, (select count(*) from comments)::int as comments')).rows[0]);

describe('validateMigrations (db:migration:validate)', () => {
  it('passes a freshly migrated database: schema as the migrations build it, one row per entity inserted, read, deleted, nothing kept', async () => {
    await migrateLikeSetup(database.url, 'prisma');

    const report = await validateMigrations(storeA(database.url));

    expect(report.differences).toEqual([]);
    expect(report.missingEntityColumns).toEqual([]);
    expect(report.smokeTest).toEqual(exampleEntities.map((entity) => ({ entity: entity.name, table: entity.table, ok: true })));
    expect(report.ok).toBe(true);
    expect(await rowCounts(database.url)).toEqual({ users: 0, comments: 0 });
  });

  it('catches a missing column: in the schema, in the entity registry and in the smoke test of its entity', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, 'alter table posts drop column published');

    const report = await validateMigrations(storeA(database.url));

    expect(report.differences).toEqual([{ kind: 'missing_column', table: 'posts', name: 'published', expected: 'boolean not null default false' }]);
    expect(report.missingEntityColumns).toEqual(['posts.published']);
    expect(report.smokeTest.find((result) => result.entity === 'posts')).toMatchObject({ ok: false });
    expect(report.ok).toBe(false);
  });

  it('catches a missing index', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, 'drop index comments_post_id_idx');

    const report = await validateMigrations(storeA(database.url));

    expect(report.differences).toEqual([
      { kind: 'missing_index', table: 'comments', name: 'comments_post_id_idx', expected: 'CREATE INDEX comments_post_id_idx ON public.comments USING btree (post_id)' },
    ]);
    expect(report.smokeTest.every((result) => result.ok)).toBe(true);
    expect(report.ok).toBe(false);
  });

  it('store B: passes after the Supabase migrations (RLS on, the smoke test as the table owner)', async () => {
    await migrateLikeSetup(database.url, 'supabase');

    const report = await validateMigrations({
      store: 'supabase',
      databaseUrl: database.url,
      layout: 'supabase',
      migrationsDir: SUPABASE_MIGRATIONS,
      entities: exampleEntities,
      shadowPreambleSql: SUPABASE_BOOTSTRAP_SQL,
    });

    expect(report).toMatchObject({ differences: [], missingEntityColumns: [], ok: true });
  });
});
