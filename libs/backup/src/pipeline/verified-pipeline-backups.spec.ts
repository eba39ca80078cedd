import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleEntities } from '@dualwrite/example-domain';
import { BackupService } from '../backups/backup-service';
import { PgDumpPipelineBackups } from './pg-dump-backups';
import type { PipelineTarget } from './pipeline-target';
import { PRISMA_MIGRATIONS, catalogOf, createControlDatabase, createTestDatabase, migrateLikeSetup, sql } from './testing/pipeline-test-databases';
import { PipelineBackupIdError, VerifiedPipelineBackups } from './verified-pipeline-backups';

let control: Awaited<ReturnType<typeof createControlDatabase>>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let storage: string;
let service: BackupService;
let backups: VerifiedPipelineBackups;

beforeAll(async () => {
  control = await createControlDatabase();
});
afterAll(() => control.drop());
beforeEach(async () => {
  database = await createTestDatabase('verified');
  storage = mkdtempSync(path.join(tmpdir(), 'dw-pipeline-verified-'));
  const open = (entities = exampleEntities) =>
    new BackupService({ storagePath: storage, controlDatabaseUrl: control.url, entities, sources: { a: { databaseUrl: database.url } } });
  service = open();
  backups = new VerifiedPipelineBackups(open, new PgDumpPipelineBackups(storage), 'a');
});
afterEach(async () => {
  await service.close();
  await database.drop();
  rmSync(storage, { recursive: true, force: true });
});

const target = (): PipelineTarget => ({ store: 'prisma', databaseUrl: database.url, layout: 'prisma', migrationsDir: PRISMA_MIGRATIONS, entities: exampleEntities });
const USERS = `insert into users (id, email, display_name) values
  ('0190a5d2-7c3e-7000-8000-000000000001', 'ada@example.com', 'Ada'), ('0190a5d2-7c3e-7000-8000-000000000002', 'bob@example.com', 'Bob')`;

describe('VerifiedPipelineBackups (BackupService full backup + managed-table snapshot)', () => {
  it('a rollback brings back schema and rows and passes BackupService restore with its content checksums', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, USERS);
    const before = await catalogOf(database.url);
    const { id } = await backups.backup(target());
    await sql(database.url, `alter table users add column nickname text; delete from users where email = 'bob@example.com'; create table audit_log (id int)`);

    await backups.restore(target(), id);

    expect(await catalogOf(database.url)).toEqual(before);
    expect((await sql(database.url, 'select email from users order by email')).rows).toEqual([{ email: 'ada@example.com' }, { email: 'bob@example.com' }]);
  });

  it("fails the rollback when BackupService's files no longer match their hashes, naming the file", async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, USERS);
    const { id } = await backups.backup(target());
    const backupId = id.split('~')[1];
    appendFileSync(path.join(storage, backupId, 'data', 'users.copy.gz'), 'tampered');

    await expect(backups.restore(target(), id)).rejects.toThrow(/users\.copy\.gz/);
  });

  it('refuses an id that is not a pipeline backup id', async () => {
    await expect(backups.restore(target(), 'just-one-part')).rejects.toThrow(PipelineBackupIdError);
  });
});
