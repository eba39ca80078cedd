import { mkdtemp, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { SqlMigrationRunner } from '@dualwrite/backup';
import { parseBackupArgs, parseDrillArgs, parseRestoreArgs, parseValidateArgs } from './backup-args';
import { runCli } from './testing/run-cli';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BASE = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';
const SOURCE = 'dw_backup_t_cli_src';
const CONTROL = 'dw_backup_t_cli_ctl';
const TARGET = 'dw_backup_t_cli_target';

function urlOf(database: string): string {
  const url = new URL(BASE);
  url.pathname = `/${database}`;
  return url.toString();
}

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function freshDatabase(name: string): Promise<void> {
  await sql(urlOf('postgres'), `drop database if exists "${name}" with (force)`);
  await sql(urlOf('postgres'), `create database "${name}"`);
}

describe('backup command lines (pure parsing)', () => {
  it('backup defaults to a full backup of store a and names a bad --kind or --store', () => {
    expect(parseBackupArgs([])).toEqual({ kind: 'backup', store: 'a', backupKind: 'full' });
    expect(parseBackupArgs(['--store=b', '--kind=incremental'])).toEqual({ kind: 'backup', store: 'b', backupKind: 'incremental' });
    expect(() => parseBackupArgs(['--kind=diff'])).toThrow('--kind must be full or incremental, got "diff"');
    expect(() => parseBackupArgs(['--store=c'])).toThrow('--store must be a or b');
  });

  it('restore needs an id, exactly one target, and --yes unless it is a dry run', () => {
    expect(() => parseRestoreArgs(['--into-store=a', '--yes'])).toThrow('--id is required');
    expect(() => parseRestoreArgs(['--id=x1', '--yes'])).toThrow('give exactly one of --target=<postgresql://...> and --into-store=a|b');
    expect(() => parseRestoreArgs(['--id=x1', '--into-store=a'])).toThrow('--yes is required for a restore');
    expect(() => parseRestoreArgs(['--id=x1', '--target=mysql://x', '--yes'])).toThrow('--target must be a postgresql:// connection string');
    expect(parseRestoreArgs(['--id=x1', '--into-store=b', '--dry-run'])).toEqual({ kind: 'restore', id: 'x1', target: { store: 'b' }, dryRun: true, force: false, verifyChecksums: false });
  });

  it('validate and drill take an id; drill also --latest of a store, not both', () => {
    expect(() => parseValidateArgs(['--id=../x'])).toThrow('--id must be a backup id');
    expect(parseDrillArgs(['--latest', '--store=b'])).toEqual({ kind: 'latest', store: 'b' });
    expect(() => parseDrillArgs(['--latest', '--id=x'])).toThrow('give --id or --latest, not both');
    expect(() => parseDrillArgs(['--id=x', '--store=a'])).toThrow('--store goes with --latest');
  });
});

describe('npm run backup / backup-validate / backup-drill / restore (real PostgreSQL)', () => {
  let storage: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await freshDatabase(SOURCE);
    await new SqlMigrationRunner('prisma', path.join(ROOT, 'prisma', 'migrations')).run(urlOf(SOURCE));
    await sql(urlOf(SOURCE), `insert into users (id, email, display_name) select gen_random_uuid(), 'cli-' || i || '@example.test', 'User ' || i from generate_series(1, 25) i`);
    await freshDatabase(CONTROL);
    await new SqlMigrationRunner('platform', path.join(ROOT, 'libs', 'dual-write', 'migrations')).run(urlOf(CONTROL));
    await freshDatabase(TARGET);
    storage = await mkdtemp(path.join(tmpdir(), 'dw-backup-cli-'));
    env = { PRIMARY_DATABASE_URL: urlOf(SOURCE), CONTROL_DATABASE_URL: urlOf(CONTROL), BACKUP_STORAGE_PATH: storage };
  });

  afterAll(async () => {
    await rm(storage, { recursive: true, force: true });
    for (const name of [SOURCE, CONTROL, TARGET]) await sql(urlOf('postgres'), `drop database if exists "${name}" with (force)`);
  });

  it('backs up, validates, drills and restores, printing plain progress lines off a terminal', async () => {
    const backup = await runCli('tools/src/cli/backup.ts', [], env);
    expect(backup.code).toBe(0);
    const id = /^backup (\S+): full of store a, 25 rows/m.exec(backup.stdout)?.[1];
    expect(id).toBeDefined();
    expect(backup.stderr).toMatch(/^backup full of store a: copy users \d+%$/m);

    const validate = await runCli('tools/src/cli/backup-validate.ts', [`--id=${id}`], env);
    expect(validate).toMatchObject({ code: 0, stdout: expect.stringContaining(`valid: ${id}: 7 files re-hashed, 25 rows counted`) });

    const drill = await runCli('tools/src/cli/backup-drill.ts', ['--latest'], env);
    expect(drill.code).toBe(0);
    expect(drill.stdout).toContain(`drill of ${id} held`);

    const restore = await runCli('tools/src/cli/restore.ts', [`--id=${id}`, `--target=${urlOf(TARGET)}`, '--verify-checksums', '--yes'], env);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`restored ${id} into ${urlOf(TARGET)} (create)`);
    expect(restore.stdout).toContain('users: (no table) rows now → 25 rows');
    expect(restore.stdout).toContain("every table's row count and content checksum match the manifest");

    // The psql-alone instructions are in the manifest.
    const manifest = JSON.parse(await readFile(path.join(storage, id as string, 'manifest.json'), 'utf8')) as { psqlRestore: string[] };
    expect(manifest.psqlRestore.join('\n')).toContain('psql -v ON_ERROR_STOP=1 --single-transaction -d <empty database URL> -f restore.psql');
  });

  it('validate exits 1 naming a truncated file; restore refuses it', async () => {
    const backup = await runCli('tools/src/cli/backup.ts', ['--store=a'], env);
    const id = /^backup (\S+):/m.exec(backup.stdout)?.[1] as string;
    await truncate(path.join(storage, id, 'data', 'users.copy.gz'), 10);
    const validate = await runCli('tools/src/cli/backup-validate.ts', [`--id=${id}`], env);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toMatch(new RegExp(`^INVALID: Backup ${id}: file data/users\\.copy\\.gz sha256 differs: expected sha256 [0-9a-f]{64}, actual [0-9a-f]{64}`, 'm'));
    const restore = await runCli('tools/src/cli/restore.ts', [`--id=${id}`, '--into-store=a', '--yes'], env);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain(`Restore refused: Backup ${id}: file data/users.copy.gz sha256 differs`);
  });

  it('an unknown id exits 1 with one line naming it', async () => {
    const run = await runCli('tools/src/cli/backup-drill.ts', ['--id=20991231T000000000Z-full-a-0000'], env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^Unknown backup id 20991231T000000000Z-full-a-0000: not in the backups index nor in /);
  });
});
