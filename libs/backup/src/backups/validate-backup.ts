import type { BackupContext, ProgressListener } from './backup-context';
import { percentOf, throttledProgress } from './backup-context';
import { BackupError, safeMessage } from './backup-errors';
import { filesOf, type BackupManifest } from './backup-manifest';
import { countGzipLines, hashFile } from './copy-files';

/** The first file that failed, and how. */
export interface BadFile {
  backupId: string;
  path: string;
  reason: 'missing' | 'sha256 differs' | 'size differs' | 'row count differs' | 'damaged gzip stream';
  expectedSha256: string;
  actualSha256: string | null;
  expectedRows?: number;
  actualRows?: number | null;
  detail?: string;
}

export interface ValidationReport {
  id: string;
  ok: boolean;
  /** Backups checked: the full one first, then each incremental up to `id`. */
  chain: string[];
  filesChecked: number;
  rowsChecked: number;
  firstBadFile: BadFile | null;
  durationMs: number;
}

export interface ValidateOptions {
  /** false: sha256 and size only (restore counts the rows as it loads them). Default true. */
  countRows?: boolean;
  onProgress?: ProgressListener;
}

/** The manifest of a complete backup; refuses an unknown id and one the index says did not complete. */
export async function completeManifest(context: BackupContext, id: string): Promise<BackupManifest> {
  const row = await context.index.get(id);
  if (row && row.status !== 'complete') {
    throw new BackupError('incomplete_backup', `Backup ${id} is ${row.status}${row.error ? ` (${row.error})` : ''}: only a complete backup can be used.`);
  }
  try {
    return await context.storage.readManifest(id);
  } catch (error) {
    if (!row && error instanceof BackupError && error.kind === 'unknown_backup') {
      throw new BackupError('unknown_backup', `Unknown backup id ${id}: not in the backups index nor in ${context.storage.root}.`);
    }
    throw error;
  }
}

/** The manifests from the full backup to `id` (one for a full backup). */
export async function chainOf(context: BackupContext, id: string): Promise<BackupManifest[]> {
  const chain: BackupManifest[] = [];
  let next: string | null = id;
  while (next) {
    const manifest = await completeManifest(context, next);
    chain.unshift(manifest);
    if (chain.length > 10_000) throw new BackupError('invalid_backup', `Backup ${id}: its chain of parents does not end.`);
    next = manifest.kind === 'incremental' ? manifest.parentId : null;
    if (manifest.kind === 'incremental' && !next) throw new BackupError('invalid_backup', `Incremental backup ${manifest.id} names no parent.`);
  }
  const [full] = chain;
  if (full.kind !== 'full') throw new BackupError('invalid_backup', `Backup ${id}: its chain does not start with a full backup.`);
  for (const manifest of chain.slice(1)) {
    if (manifest.store !== full.store || manifest.fullId !== full.id) {
      throw new BackupError('invalid_backup', `Incremental backup ${manifest.id} does not belong to full backup ${full.id}.`);
    }
  }
  return chain;
}

/**
 * Re-hashes every file of the backup and of the backups it builds on, and counts the rows inside each data
 * file; stops at the first bad file and names it with the expected and the actual hash.
 */
export async function validateBackup(context: BackupContext, id: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const started = Date.now();
  const chain = await chainOf(context, id);
  const countRows = options.countRows ?? true;
  const report = throttledProgress(options.onProgress);
  const files = chain.flatMap((manifest) => filesOf(manifest).map((file) => ({ manifest, file })));
  const totalBytes = files.reduce((sum, { file }) => sum + file.bytes, 0);
  let bytesDone = 0;
  let rowsChecked = 0;
  let firstBadFile: BadFile | null = null;
  for (const { manifest, file } of files) {
    report({ phase: 'validate', table: file.path, rowsDone: bytesDone, rowsExpected: totalBytes, percent: percentOf(bytesDone, totalBytes) });
    firstBadFile = await checkFile(context, manifest, file, countRows);
    if (firstBadFile) break;
    bytesDone += file.bytes;
    rowsChecked += file.rows ?? 0;
  }
  const ok = firstBadFile === null;
  for (const manifest of chain) await context.index.recordValidation(manifest.id, ok).catch(() => undefined);
  report({ phase: 'done', rowsDone: bytesDone, rowsExpected: totalBytes, percent: 100 });
  return { id, ok, chain: chain.map((manifest) => manifest.id), filesChecked: files.length, rowsChecked, firstBadFile, durationMs: Date.now() - started };
}

async function checkFile(context: BackupContext, manifest: BackupManifest, file: BackupManifest['tables'][number]['data'], countRows: boolean): Promise<BadFile | null> {
  const base = { backupId: manifest.id, path: file.path, expectedSha256: file.sha256 };
  const full = context.storage.fileOf(manifest.id, file.path);
  let actual: { bytes: number; sha256: string };
  try {
    actual = await hashFile(full);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { ...base, reason: 'missing', actualSha256: null };
    throw new BackupError('storage_unavailable', `Backup ${manifest.id}: cannot read ${file.path}: ${safeMessage(error)}`, { cause: error });
  }
  if (actual.sha256 !== file.sha256) {
    return { ...base, reason: 'sha256 differs', actualSha256: actual.sha256, detail: `${actual.bytes} bytes on disk, ${file.bytes} expected` };
  }
  if (actual.bytes !== file.bytes) return { ...base, reason: 'size differs', actualSha256: actual.sha256, detail: `${actual.bytes} bytes on disk, ${file.bytes} expected` };
  if (!countRows || file.rows === undefined) return null;
  let rows: number;
  try {
    rows = await countGzipLines(full);
  } catch (error) {
    return { ...base, reason: 'damaged gzip stream', actualSha256: actual.sha256, expectedRows: file.rows, actualRows: null, detail: safeMessage(error) };
  }
  if (rows !== file.rows) return { ...base, reason: 'row count differs', actualSha256: actual.sha256, expectedRows: file.rows, actualRows: rows };
  return null;
}

/** One line for a bad file: which file of which backup, expected vs actual hash. */
export function describeBadFile(bad: BadFile): string {
  const rows = bad.reason === 'row count differs' || bad.reason === 'damaged gzip stream' ? ` (rows: expected ${bad.expectedRows}, found ${bad.actualRows ?? 'unreadable'})` : '';
  return (
    `Backup ${bad.backupId}: file ${bad.path} ${bad.reason}: expected sha256 ${bad.expectedSha256}, actual ${bad.actualSha256 ?? '(file missing)'}` +
    `${rows}${bad.detail ? `; ${bad.detail}` : ''}`
  );
}
