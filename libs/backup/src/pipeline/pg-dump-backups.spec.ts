import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleEntities } from '@dualwrite/example-domain';
import { PgDumpPipelineBackups, SnapshotCorruptError, SnapshotNotFoundError } from './pg-dump-backups';
import type { PipelineTarget } from './pipeline-target';
import { PRISMA_MIGRATIONS, catalogOf, createTestDatabase, migrateLikeSetup, onDatabase, sql } from './testing/pipeline-test-databases';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let storage: string;
beforeEach(async () => {
  database = await createTestDatabase('snap');
  storage = mkdtempSync(path.join(tmpdir(), 'dw-pipeline-snapshots-'));
});
afterEach(async () => {
  await database.drop();
  rmSync(storage, { recursive: true, force: true });
});

const target = (): PipelineTarget => ({ store: 'prisma', databaseUrl: database.url, layout: 'prisma', migrationsDir: PRISMA_MIGRATIONS, entities: exampleEntities });
const tableNames = () =>
  onDatabase(database.url, async (client) => (await client.query(`select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1`)).rows.map((row) => row.relname));

describe('PgDumpPipelineBackups', () => {
  it('restores the managed tables as they were, drops tables created since, and leaves other tables alone', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, `create table dual_write_flags (id int primary key); insert into dual_write_flags values (1)`);
    await sql(database.url, `insert into users (id, email, display_name) values ('0190a5d2-7c3e-7000-8000-000000000001', 'ada@example.com', 'Ada')`);
    const before = await catalogOf(database.url);
    const backups = new PgDumpPipelineBackups(storage);
    const { id } = await backups.backup(target());
    await sql(database.url, `create table audit_log (id int); alter table users drop column display_name; delete from users; insert into dual_write_flags values (2)`);

    await backups.restore(target(), id);

    expect(await catalogOf(database.url)).toEqual(before);
    expect((await sql(database.url, 'select email, display_name from users')).rows).toEqual([{ email: 'ada@example.com', display_name: 'Ada' }]);
    expect((await sql(database.url, 'select id from dual_write_flags order by id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('refuses a snapshot whose file changed after it was hashed, and changes nothing', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    const backups = new PgDumpPipelineBackups(storage);
    const { id } = await backups.backup(target());
    appendFileSync(path.join(storage, 'pipeline', `${id}.sql`), '\ndrop table users;\n');
    await sql(database.url, 'create table audit_log (id int)');

    const failure = await backups.restore(target(), id).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SnapshotCorruptError);
    expect((failure as Error).message).toMatch(new RegExp(`^Pipeline snapshot ${id} fails its hash check \\(expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}\\); it was not restored\\.$`));
    expect(await tableNames()).toContain('audit_log');
  });

  it('names an unknown snapshot id', async () => {
    await expect(new PgDumpPipelineBackups(storage).restore(target(), 'prisma-nope')).rejects.toThrow(SnapshotNotFoundError);
  });
});
