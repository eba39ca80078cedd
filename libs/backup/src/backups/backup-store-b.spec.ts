import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleEntities } from '@dualwrite/example-domain';
import { SqlMigrationRunner } from '../migrations/sql-migration-runner';
import { BackupService } from './backup-service';
import { databaseUrl, dropDatabase, emptyDatabase } from './testing/backup-fixtures';

const STORE_B_URL = process.env['SUPABASE_DB_URL'] || 'postgresql://postgres@127.0.0.1:5432/dw_supabase';
const CONTROL = 'dw_backup_t_storeb_ctl';

// Store B's database as setup built it (Supabase migrations, RLS, the local bootstrap's roles): only read here.
describe('backup of store B (Supabase Postgres, read only)', () => {
  let service: BackupService;
  let storage: string;

  beforeAll(async () => {
    const controlUrl = await emptyDatabase(CONTROL);
    await new SqlMigrationRunner('platform', path.resolve(__dirname, '..', '..', '..', 'dual-write', 'migrations')).run(controlUrl);
    storage = await mkdtemp(path.join(tmpdir(), 'dw-backup-storeb-'));
    service = new BackupService({ storagePath: storage, controlDatabaseUrl: databaseUrl(CONTROL), entities: exampleEntities, sources: { b: { databaseUrl: STORE_B_URL } } });
  });

  afterAll(async () => {
    await service.close();
    await rm(storage, { recursive: true, force: true });
    await dropDatabase(CONTROL);
  });

  it('takes a full backup with the Supabase CLI migration as schema version, and the drill restores it with matching checksums', async () => {
    const manifest = await service.create({ store: 'b', kind: 'full' });
    expect(manifest).toMatchObject({ store: 'b', source: { database: 'dw_supabase', schema: 'public' } });
    expect(manifest.schemaVersion).toMatch(/^supabase:\d{14}_/);
    const drill = await service.drill(manifest.id);
    expect(drill).toMatchObject({ ok: true, failure: null });
    expect(drill.tables.map((table) => table.table)).toEqual(['users', 'budgets', 'posts', 'comments']);
  });
});
