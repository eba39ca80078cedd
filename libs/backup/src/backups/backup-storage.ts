import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BACKUP_ID_PATTERN, MANIFEST_FILE, backupManifestSchema, type BackupManifest } from './backup-manifest';
import { BackupError } from './backup-errors';

const PARTIAL_PREFIX = '.partial-';

/** The words of a storage error: which path, and the errno that says why. */
export function storageError(error: unknown, doing: string, where: string): BackupError {
  const code = (error as { code?: string }).code;
  const reasons: Record<string, string> = {
    ENOSPC: 'the disk is full (ENOSPC)',
    EDQUOT: 'the disk quota is exhausted (EDQUOT)',
    EROFS: 'the file system is read-only (EROFS)',
    EACCES: 'permission denied (EACCES)',
    EPERM: 'operation not permitted (EPERM)',
    ENOENT: 'it does not exist (ENOENT)',
    ENOTDIR: 'a part of the path is not a directory (ENOTDIR)',
    EFBIG: 'the file is larger than allowed (EFBIG)',
  };
  const reason = (code && reasons[code]) ?? (error instanceof Error ? error.message : String(error));
  return new BackupError('storage_unavailable', `Backup storage ${where}: cannot ${doing}: ${reason}.`, { cause: error });
}

/**
 * The backup directory (BACKUP_STORAGE_PATH): one folder per backup, written under a `.partial-` name and renamed
 * into place only once every file and finally the manifest are on disk, so a crash leaves no folder that looks
 * complete. Files inside are written once (`wx`) and fsynced.
 */
export class BackupStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Creates the root when missing and proves it writable with a probe file. */
  async ensureWritable(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      const probe = path.join(this.root, `.probe-${randomBytes(4).toString('hex')}`);
      await writeFile(probe, 'probe');
      await rm(probe, { force: true });
    } catch (error) {
      throw storageError(error, 'write there', this.root);
    }
  }

  /** A fresh partial folder for backup `id`; returns its path. */
  async startPartial(id: string): Promise<string> {
    const dir = this.partialDir(id);
    try {
      await mkdir(path.join(dir, 'data'), { recursive: true });
    } catch (error) {
      throw storageError(error, `create ${dir}`, this.root);
    }
    return dir;
  }

  partialDir(id: string): string {
    return path.join(this.root, `${PARTIAL_PREFIX}${this.checkedId(id)}`);
  }

  dirOf(id: string): string {
    return path.join(this.root, this.checkedId(id));
  }

  /** Writes the manifest last (temp name, fsync, rename), then renames the folder into place. */
  async complete(manifest: BackupManifest): Promise<void> {
    const partial = this.partialDir(manifest.id);
    try {
      const temp = path.join(partial, `${MANIFEST_FILE}.partial`);
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path.join(partial, MANIFEST_FILE));
      await rename(partial, this.dirOf(manifest.id));
      await this.syncRoot();
    } catch (error) {
      throw storageError(error, `finish backup ${manifest.id}`, this.root);
    }
  }

  async discardPartial(id: string): Promise<void> {
    await rm(this.partialDir(id), { recursive: true, force: true }).catch(() => undefined);
  }

  /** The manifest of a completed backup; unknown_backup when its folder or manifest is missing, invalid when unreadable. */
  async readManifest(id: string): Promise<BackupManifest> {
    const file = path.join(this.dirOf(id), MANIFEST_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') {
        throw new BackupError('unknown_backup', `Backup ${id} has no manifest in ${this.root} (never completed, or deleted).`);
      }
      throw storageError(error, `read ${file}`, this.root);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BackupError('invalid_backup', `Backup ${id}: ${MANIFEST_FILE} is not valid JSON (edited or damaged).`);
    }
    const result = backupManifestSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new BackupError('invalid_backup', `Backup ${id}: ${MANIFEST_FILE} field ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}.`);
    }
    if (result.data.id !== id) throw new BackupError('invalid_backup', `Backup ${id}: its manifest names backup ${result.data.id}.`);
    return result.data;
  }

  fileOf(id: string, relative: string): string {
    const dir = this.dirOf(id);
    const full = path.resolve(dir, relative);
    if (!full.startsWith(`${dir}${path.sep}`)) throw new BackupError('invalid_backup', `Backup ${id}: file ${relative} is outside the backup.`);
    return full;
  }

  async exists(id: string): Promise<boolean> {
    return access(path.join(this.dirOf(id), MANIFEST_FILE), constants.F_OK).then(
      () => true,
      () => false,
    );
  }

  async remove(id: string): Promise<void> {
    try {
      await rm(this.dirOf(id), { recursive: true, force: true });
    } catch (error) {
      throw storageError(error, `delete backup ${id}`, this.root);
    }
  }

  /** Partial folders older than `olderThanMs` (left by a killed process): removed; returns their ids. */
  async removeStalePartials(olderThanMs: number, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    const entries = await readdir(this.root).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!entry.startsWith(PARTIAL_PREFIX)) continue;
      const full = path.join(this.root, entry);
      const info = await stat(full).catch(() => null);
      if (!info || now - info.mtimeMs < olderThanMs) continue;
      await rm(full, { recursive: true, force: true });
      removed.push(entry.slice(PARTIAL_PREFIX.length));
    }
    return removed;
  }

  private checkedId(id: string): string {
    if (!BACKUP_ID_PATTERN.test(id) || id.startsWith('.')) throw new BackupError('unknown_backup', `"${id}" is not a backup id.`);
    return id;
  }

  private async syncRoot(): Promise<void> {
    const handle = await open(this.root, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
