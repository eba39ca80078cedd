import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleEntities } from '@dualwrite/example-domain';
import { BackupService } from './backup-service';
import { backupSuite, seedBulkUsers, type BackupSuite } from './testing/backup-fixtures';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** A tmpfs of `size` mounted at a fresh folder (needs root: CAP_SYS_ADMIN); null when mounting is not allowed here. */
async function mountTmpfs(options: string): Promise<string | null> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dw-backup-tmpfs-'));
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  if (result.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    return null;
  }
  return dir;
}

async function unmount(dir: string | null): Promise<void> {
  if (!dir) return;
  spawnSync('umount', [dir]);
  await rm(dir, { recursive: true, force: true });
}

/** Folders in the storage that hold a manifest: complete backups. */
async function completedFolders(root: string): Promise<string[]> {
  const entries = await readdir(root).catch(() => [] as string[]);
  return entries.filter((entry) => existsSync(path.join(root, entry, 'manifest.json')));
}

describe('backup storage faults and a killed backup (real PostgreSQL, real file systems)', () => {
  let suite: BackupSuite;

  beforeAll(async () => {
    suite = await backupSuite('faults', exampleEntities);
    await seedBulkUsers(suite.sourceUrl, 3000);
  });

  afterAll(async () => {
    await suite.cleanup();
  });

  function serviceAt(storagePath: string): BackupService {
    return new BackupService({ storagePath, controlDatabaseUrl: suite.controlUrl, entities: exampleEntities, sources: { a: { databaseUrl: suite.sourceUrl } } });
  }

  it('a full disk (a 64 KiB tmpfs) fails with ENOSPC naming the storage, leaves no folder and marks the run failed', async () => {
    const dir = await mountTmpfs('size=64k');
    if (!dir) throw new Error('mount -t tmpfs is not allowed here (needs root); this fault cannot be proven on this machine');
    const service = serviceAt(dir);
    try {
      const attempt = service.create({ store: 'a', kind: 'full' });
      await expect(attempt).rejects.toThrow(`Backup storage ${dir}: cannot write the backup: the disk is full (ENOSPC).`);
      expect(await readdir(dir)).toEqual([]);
      const [run] = await service.list();
      expect(run).toMatchObject({ status: 'failed' });
      expect(run.error).toContain('ENOSPC');
      await expect(service.validate(run.id)).rejects.toThrow(`Backup ${run.id} is failed`);
    } finally {
      await service.close();
      await unmount(dir);
    }
  });

  it('a read-only storage path is refused before anything is read', async () => {
    const dir = await mountTmpfs('size=64k,ro');
    if (!dir) throw new Error('mount -t tmpfs is not allowed here (needs root); this fault cannot be proven on this machine');
    const service = serviceAt(dir);
    try {
      await expect(service.create({ store: 'a', kind: 'full' })).rejects.toThrow(`Backup storage ${dir}: cannot write there: the file system is read-only (EROFS).`);
    } finally {
      await service.close();
      await unmount(dir);
    }
  });

  it('an unreachable storage path (a file where a folder should be) is refused naming it', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'dw-backup-notdir-'));
    await writeFile(path.join(parent, 'file'), 'x');
    const service = serviceAt(path.join(parent, 'file', 'backups'));
    try {
      await expect(service.create({ store: 'a', kind: 'full' })).rejects.toThrow(`Backup storage ${path.join(parent, 'file', 'backups')}: cannot write there: a part of the path is not a directory (ENOTDIR).`);
    } finally {
      await service.close();
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('a process killed mid-backup leaves no backup that validates; retention clears what it left', async () => {
    const storage = path.join(suite.storagePath, 'killed');
    await mkdir(storage, { recursive: true });
    const child = spawn(process.execPath, [path.join(ROOT, 'tools', 'run.js'), path.join(__dirname, 'testing', 'backup-child.ts'), suite.sourceUrl, suite.controlUrl, storage, JSON.stringify(exampleEntities)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('copying') ? resolve() : undefined));
      child.on('exit', (code) => reject(new Error(`the backup process ended (${code}) before it was killed`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const service = serviceAt(storage);
    try {
      expect(await completedFolders(storage)).toEqual([]);
      const [run] = await service.list();
      expect(run.status).toBe('running');
      await expect(service.validate(run.id)).rejects.toThrow(`Backup ${run.id} is running: only a complete backup can be used.`);
      expect(await service.list({ status: 'complete' })).toEqual([]);

      const cleared = await service.applyRetention({ keepFull: 1, keepDays: 1, staleRunningMs: 0 });
      expect(cleared.partialsRemoved).toEqual([run.id]);
      expect(cleared.removed).toContain(run.id);
      expect(await readdir(storage)).toEqual([]);
    } finally {
      await service.close();
    }
  });
});
