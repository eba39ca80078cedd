import { exampleEntities } from '@dualwrite/example-domain';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { LEDGER_DELETED_KEYS_SQL } from './create-backup';
import { emptyDatabase, dropDatabase, recordDeletes, seedExampleRows, tableRows, withClient, backupSuite, storeADatabase, type BackupSuite } from './testing/backup-fixtures';

describe('backup round trip (full + incrementals, real PostgreSQL)', () => {
  let suite: BackupSuite;
  const targets: string[] = [];

  beforeAll(async () => {
    suite = await backupSuite('rt', exampleEntities);
  });

  afterAll(async () => {
    for (const name of targets) await dropDatabase(name);
    await suite.cleanup();
  });

  it('restores a full backup and two incrementals into an empty database equal to the source row for row, deletes included', async () => {
    const userIds = await seedExampleRows(suite.sourceUrl, { users: 12, tag: 'rt' });
    const full = await suite.service.create({ store: 'a', kind: 'full' });
    expect(full.tables.map((table) => [table.table, table.rowCount])).toEqual([['users', 12], ['budgets', 12], ['posts', 12], ['comments', 24]]);

    // Changes after the full backup: new rows, an update, and deletes the ledger records (a user, cascading to
    // its budget, post and comments in the database; and one comment on its own).
    await seedExampleRows(suite.sourceUrl, { users: 3, tag: 'rt-inc1' });
    await withClient(suite.sourceUrl, (client) => client.query(`update posts set title = 'edited', updated_at = now() + interval '1 second' where author_id = $1`, [userIds[1]]));
    await withClient(suite.sourceUrl, (client) => client.query('delete from users where id = $1', [userIds[0]]));
    await recordDeletes(suite.controlUrl, 'users', [userIds[0]]);
    const first = await suite.service.create({ store: 'a', kind: 'incremental' });
    expect(first.parentId).toBe(full.id);

    const { rows } = await withClient(suite.sourceUrl, (client) => client.query<{ id: number }>('select id from comments order by id desc limit 1'));
    await withClient(suite.sourceUrl, (client) => client.query('delete from comments where id = $1', [rows[0].id]));
    await recordDeletes(suite.controlUrl, 'comments', [String(rows[0].id)]);
    await withClient(suite.sourceUrl, (client) => client.query(`update budgets set amount = 99.5, updated_at = now() + interval '1 second' where owner_id = $1`, [userIds[2]]));
    const second = await suite.service.create({ store: 'a', kind: 'incremental' });
    expect(second.parentId).toBe(first.id);
    expect(second.fullId).toBe(full.id);
    expect(second.tables.find((table) => table.table === 'comments')?.deleted?.rows).toBe(1);

    targets.push('dw_backup_t_rt_empty');
    const target = await emptyDatabase('dw_backup_t_rt_empty');
    const report = await suite.service.restore(second.id, { targetUrl: target, verify: 'checksums' });
    expect(report).toMatchObject({ mode: 'create', chain: [full.id, first.id, second.id], verified: 'checksums' });
    expect(await tableRows(target, exampleEntities)).toEqual(await tableRows(suite.sourceUrl, exampleEntities));
  });

  it("reads the ledger's deleted keys through its deletes index, not by scanning the whole ledger", async () => {
    // On a ledger this small a scan is cheaper: with scans priced out, the plan shows whether the index matches at all.
    const plan = await withClient(suite.controlUrl, async (client) => {
      await client.query('set enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${LEDGER_DELETED_KEYS_SQL}`, ['users', new Date(Date.now() - 60_000).toISOString()]);
      return JSON.stringify(rows[0]?.['QUERY PLAN']);
    });
    expect(plan).toContain('"Index Name":"dual_write_ops_deletes_idx"');
  });

  it('replaces the rows of a database that has the tables, and moves the serial key sequence past the restored keys', async () => {
    const latest = (await suite.service.list({ store: 'a', status: 'complete' }))[0];
    targets.push('dw_backup_t_rt_existing');
    const target = await storeADatabase('dw_backup_t_rt_existing');
    await seedExampleRows(target, { users: 4, tag: 'other' });
    const report = await suite.service.restore(latest.id, { targetUrl: target });
    expect(report).toMatchObject({ mode: 'replace', verified: 'counts' });
    expect(report.tables.find((table) => table.table === 'users')).toMatchObject({ rowsNow: 4 });
    expect(await tableRows(target, exampleEntities)).toEqual(await tableRows(suite.sourceUrl, exampleEntities));
    const next = await withClient(target, (client) => client.query<{ id: number; max: number }>(
      `insert into comments (post_id, author_id, body) select id, author_id, 'after restore' from posts limit 1 returning id, (select max(id) from comments) as max`,
    ));
    expect(next.rows[0].id).toBeGreaterThan(next.rows[0].max);
  });

  it('dry run reports the tables and row counts a restore would change, and changes nothing', async () => {
    const latest = (await suite.service.list({ store: 'a', status: 'complete' }))[0];
    targets.push('dw_backup_t_rt_dry');
    const target = await storeADatabase('dw_backup_t_rt_dry');
    await seedExampleRows(target, { users: 2, tag: 'dry' });
    const before = await tableRows(target, exampleEntities);
    const report = await suite.service.restore(latest.id, { targetUrl: target, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, mode: 'replace', schemaMatches: true, rowsRestored: 0 });
    expect(report.tables.map((table) => [table.table, table.rowsNow])).toEqual([['users', 2], ['budgets', 2], ['posts', 2], ['comments', 4]]);
    expect(report.tables.find((table) => table.table === 'users')?.rowsAfter).toBe(14);
    expect(await tableRows(target, exampleEntities)).toEqual(before);
  });

  it('restores a full backup with psql alone, as its manifest says, equal to the source row for row', async () => {
    const full = await suite.service.create({ store: 'a', kind: 'full' });
    targets.push('dw_backup_t_rt_psql');
    const target = await emptyDatabase('dw_backup_t_rt_psql');
    const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', target, '-f', 'restore.psql'], {
      cwd: path.join(suite.storagePath, full.id),
      encoding: 'utf8',
    });
    expect(psql.stderr).toBe('');
    expect(psql.status).toBe(0);
    expect(await tableRows(target, exampleEntities)).toEqual(await tableRows(suite.sourceUrl, exampleEntities));
    const next = await withClient(target, (client) => client.query<{ id: number }>(`insert into comments (post_id, author_id, body) select id, author_id, 'after psql' from posts limit 1 returning id`));
    const highest = await withClient(suite.sourceUrl, (client) => client.query<{ max: number }>('select max(id) as max from comments'));
    expect(next.rows[0].id).toBeGreaterThan(highest.rows[0].max);
  });
});
