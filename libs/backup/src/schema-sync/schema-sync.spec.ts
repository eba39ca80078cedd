import { exampleEntities } from '@dualwrite/example-domain';
import { catalogOf, createTestDatabase, migrateLikeSetup, onDatabase, sql } from '../pipeline/testing/pipeline-test-databases';
import { SchemaSync, SchemaSyncError } from './schema-sync';

const FAST_RETRY = { retries: 3, initialDelayMs: 20, maxDelayMs: 100 };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeEach(async () => {
  database = await createTestDatabase('sync');
});
afterEach(() => database.drop());

const sync = () => new SchemaSync(database.url, exampleEntities, FAST_RETRY);
const kinds = (findings: { kind: string; table: string; name?: string }[]) => findings.map(({ kind, table, name }) => [kind, table, name]);

describe('SchemaSync (store B)', () => {
  it('after the Supabase migrations finds only the unindexed owner column of comments', async () => {
    await migrateLikeSetup(database.url, 'supabase');

    const report = await sync().inspect();

    expect(report.database).toBe(database.name);
    expect(kinds(report.findings)).toEqual([['missing_index', 'comments', 'comments_author_id_idx']]);
  });

  it('creates a missing table, column, index and RLS policy, turns RLS on, in one transaction, then reports clean', async () => {
    await migrateLikeSetup(database.url, 'supabase');
    await sql(
      database.url,
      `drop table comments;
       alter table posts drop column published;
       drop index budgets_owner_id_idx;
       drop policy users_service_role_all on users;
       alter table budgets disable row level security`,
    );

    const before = await sync().inspect();
    expect(kinds(before.findings)).toEqual([
      ['missing_service_role_policy', 'users', 'users_service_role_all'],
      ['missing_index', 'budgets', 'budgets_owner_id_idx'],
      ['rls_disabled', 'budgets', undefined],
      ['missing_column', 'posts', 'published'],
      ['missing_table', 'comments', undefined],
    ]);

    const result = await sync().apply();

    expect(kinds(result.applied)).toEqual(kinds(before.findings));
    expect(result.after).toMatchObject({ findings: [], clean: true });
    const catalog = await catalogOf(database.url);
    expect(catalog.comments.rlsEnabled).toBe(true);
    expect(Object.keys(catalog.comments.policies).sort()).toEqual(['comments_owner_all', 'comments_service_role_all']);
    expect(catalog.comments.columns.id).toEqual({ type: 'integer', nullable: false, default: "nextval('comments_id_seq'::regclass)" });
    expect(catalog.posts.columns.published).toEqual({ type: 'boolean', nullable: false, default: 'false' });
    expect(catalog.budgets.indexes.budgets_owner_id_idx).toBe('CREATE INDEX budgets_owner_id_idx ON public.budgets USING btree (owner_id)');
    expect(catalog.budgets.rlsEnabled).toBe(true);
    expect(catalog.users.policies.users_service_role_all).toEqual({ command: 'ALL', roles: ['service_role'], using: 'true', check: 'true' });
    // The service role can use the new table; an anonymous caller sees none of its rows.
    const visible = await onDatabase(database.url, async (client) => {
      await client.query('begin');
      try {
        await client.query(`insert into users (id, email, display_name) values ('0190a5d2-7c3e-7000-8000-000000000001', 'ada@example.com', 'Ada')`);
        await client.query(`insert into posts (id, author_id, title, body) values ('0190a5d2-7c3e-7000-8000-000000000002', '0190a5d2-7c3e-7000-8000-000000000001', 't', 'b')`);
        await client.query('set local role service_role');
        await client.query(`insert into comments (post_id, author_id, body) values ('0190a5d2-7c3e-7000-8000-000000000002', '0190a5d2-7c3e-7000-8000-000000000001', 'hi')`);
        await client.query('set local role anon');
        return (await client.query('select count(*)::int as n from comments')).rows[0].n;
      } finally {
        await client.query('rollback');
      }
    });
    expect(visible).toBe(0);
  });

  it('reports a column of the wrong type without touching it', async () => {
    await migrateLikeSetup(database.url, 'supabase');
    await sql(database.url, 'alter table posts alter column published type text');

    const result = await sync().apply();

    expect(result.after.findings).toEqual([
      { kind: 'column_type_mismatch', entity: 'posts', table: 'posts', name: 'published', detail: 'column posts.published is text, the registry says boolean', fixable: false, sql: [] },
    ]);
    expect((await catalogOf(database.url)).posts.columns.published.type).toBe('text');
  });

  it('changes nothing when one statement fails (no auth.uid() for the owner policy), naming it', async () => {
    await sql(database.url, 'create table users (id uuid primary key, email text not null, display_name text not null)');
    const before = await catalogOf(database.url);

    const failure = await sync().apply().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SchemaSyncError);
    expect((failure as Error).message).toMatch(/^Schema sync stopped at "create policy "users_owner_all" on public\."users".*schema "auth" does not exist\. Nothing was changed\.$/);
    expect(await catalogOf(database.url)).toEqual(before);
  });
});
