import { exampleEntities } from '@dualwrite/example-domain';
import { readFile, writeFile } from 'node:fs/promises';
import { dropDatabase, seedExampleRows, storeADatabase, tableRows, withClient, backupSuite, type BackupSuite } from './testing/backup-fixtures';
import { alterDataAndRehash, fileIn, flipByte, truncateFile } from './testing/backup-files';

describe('backup validation, drill and restore refusals (real PostgreSQL)', () => {
  let suite: BackupSuite;
  const targets: string[] = [];

  beforeAll(async () => {
    suite = await backupSuite('val', exampleEntities);
    await seedExampleRows(suite.sourceUrl, { users: 10, tag: 'val' });
  });

  afterAll(async () => {
    for (const name of targets) await dropDatabase(name);
    await suite.cleanup();
  });

  async function populatedTarget(name: string): Promise<string> {
    targets.push(name);
    const url = await storeADatabase(name);
    await seedExampleRows(url, { users: 3, tag: name });
    return url;
  }

  it('validates an intact backup: every file re-hashed, every row counted', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    const report = await suite.service.validate(backup.id);
    expect(report).toMatchObject({ ok: true, firstBadFile: null, filesChecked: 7, rowsChecked: 50 });
  });

  it('names a truncated file with its expected and actual hash, and restore refuses it leaving the target as it was', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    const posts = backup.tables.find((table) => table.table === 'posts')!;
    await truncateFile(fileIn(suite.storagePath, backup.id, posts.data.path), 20);
    const report = await suite.service.validate(backup.id);
    expect(report.ok).toBe(false);
    expect(report.firstBadFile).toMatchObject({ path: 'data/posts.copy.gz', reason: 'sha256 differs', expectedSha256: posts.data.sha256 });
    expect(report.firstBadFile?.actualSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.firstBadFile?.actualSha256).not.toBe(posts.data.sha256);

    const target = await populatedTarget('dw_backup_t_val_trunc');
    const before = await tableRows(target, exampleEntities);
    await expect(suite.service.restore(backup.id, { targetUrl: target })).rejects.toThrow(/Restore refused: Backup .* file data\/posts\.copy\.gz sha256 differs: expected sha256 [0-9a-f]{64}, actual [0-9a-f]{64}/);
    expect(await tableRows(target, exampleEntities)).toEqual(before);
  });

  it('names an edited file (one byte changed, same size)', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    await flipByte(fileIn(suite.storagePath, backup.id, 'data/comments.copy.gz'));
    const report = await suite.service.validate(backup.id);
    expect(report.firstBadFile).toMatchObject({ path: 'data/comments.copy.gz', reason: 'sha256 differs' });
  });

  it('the drill restores an intact backup into a scratch database, matches every checksum and reports the restore time', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    const drill = await suite.service.drill(backup.id);
    expect(drill).toMatchObject({ ok: true, failure: null });
    expect(drill.tables.map((table) => [table.table, table.ok])).toEqual([['users', true], ['budgets', true], ['posts', true], ['comments', true]]);
    expect(drill.restoreMs).toBeGreaterThan(0);
    const scratchLeft = await withClient(suite.sourceUrl, (client) => client.query('select 1 from pg_database where datname = $1', [drill.scratchDatabase]));
    expect(scratchLeft.rowCount).toBe(0);
    expect((await suite.service.list()).find((row) => row.id === backup.id)).toMatchObject({ lastDrillOk: true });
  });

  it('the drill catches a backup whose data was altered after hashing (files validate, content differs)', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    await alterDataAndRehash(suite.storagePath, backup.id, 'budgets', (text) => text.replace('\t0.25\t', '\t1000.25\t'));
    expect((await suite.service.validate(backup.id)).ok).toBe(true);
    const drill = await suite.service.drill(backup.id);
    expect(drill.ok).toBe(false);
    expect(drill.tables.find((table) => !table.ok)?.table).toBe('budgets');
    expect(drill.failure).toMatch(/^Table budgets restored from .* has 10 rows with checksum [0-9a-f]{32}, the manifest says 10 rows with checksum [0-9a-f]{32}\.$/);
  });

  it('a restore that fails in its last table rolls back: the target is exactly as it was', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    // A comment pointing at a post that does not exist: users, budgets and posts load, then the foreign key fails.
    await alterDataAndRehash(suite.storagePath, backup.id, 'comments', (text) => text.replace(/^(\d+)\t[0-9a-f-]{36}/, '$1\t00000000-0000-4000-8000-000000000000'));
    const target = await populatedTarget('dw_backup_t_val_atomic');
    const before = await tableRows(target, exampleEntities);
    await expect(suite.service.restore(backup.id, { targetUrl: target })).rejects.toThrow(/failed and was rolled back \(the target is as it was\): .*comments_post_id_fkey/);
    expect(await tableRows(target, exampleEntities)).toEqual(before);
  });

  it('refuses a target whose tables differ from the backup, names the difference, and restores with force', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    const target = await populatedTarget('dw_backup_t_val_schema');
    await withClient(target, (client) => client.query('alter table posts add column subtitle text'));
    await expect(suite.service.restore(backup.id, { targetUrl: target })).rejects.toThrow(/Restore refused: the target's schema differs .*posts\.subtitle is not in the backup\. Pass force/);
    const forced = await suite.service.restore(backup.id, { targetUrl: target, force: true });
    expect(forced).toMatchObject({ forced: true, schemaMatches: false, verified: 'counts' });
  });

  it('refuses an unknown backup id and an incremental without a full backup, by name', async () => {
    await expect(suite.service.validate('20991231T000000000Z-full-a-0000')).rejects.toThrow('Unknown backup id 20991231T000000000Z-full-a-0000: not in the backups index nor in');
    await expect(suite.service.restore('../etc', { targetUrl: suite.sourceUrl })).rejects.toThrow('Unknown backup id ../etc');
    const other = await backupSuite('val_noparent', exampleEntities);
    try {
      await expect(other.service.create({ store: 'a', kind: 'incremental' })).rejects.toThrow('No complete backup of store a to build an incremental on: take a full backup first.');
      await expect(other.service.create({ store: 'b', kind: 'full' })).rejects.toThrow('Store b has no database connection configured for backups (store B needs SUPABASE_DB_URL).');
    } finally {
      await other.cleanup();
    }
  });

  it('refuses a manifest that was edited into nonsense, naming the field', async () => {
    const backup = await suite.service.create({ store: 'a', kind: 'full' });
    const manifest = fileIn(suite.storagePath, backup.id, 'manifest.json');
    const parsed = JSON.parse(await readFile(manifest, 'utf8'));
    parsed.tables[0].data.sha256 = 'not-a-hash';
    await writeFile(manifest, JSON.stringify(parsed));
    await expect(suite.service.validate(backup.id)).rejects.toThrow(/manifest\.json field tables\.0\.data\.sha256/);
  });
});
