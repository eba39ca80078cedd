import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { BackupManifest } from '../backup-manifest';

/** Spec support: damage a stored backup in the ways the suites prove are caught. */

export function fileIn(storagePath: string, id: string, relative: string): string {
  return path.join(storagePath, id, relative);
}

export async function truncateFile(file: string, keepBytes: number): Promise<void> {
  await truncate(file, keepBytes);
}

/** Flips one byte in the middle: same size, different hash. */
export async function flipByte(file: string): Promise<void> {
  const bytes = await readFile(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at] ^ 0xff;
  await writeFile(file, bytes);
}

/**
 * Rewrites a data file with `edit` applied to its COPY text and updates its sha256 and size in the manifest, as if
 * the data had been altered before hashing: validation passes, only a restore shows it.
 */
export async function alterDataAndRehash(storagePath: string, id: string, table: string, edit: (copyText: string) => string): Promise<void> {
  const manifestPath = fileIn(storagePath, id, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;
  const entry = manifest.tables.find((candidate) => candidate.table === table);
  if (!entry) throw new Error(`no table ${table} in ${id}`);
  const file = fileIn(storagePath, id, entry.data.path);
  const text = gunzipSync(await readFile(file)).toString('utf8');
  const altered = gzipSync(Buffer.from(edit(text)));
  await writeFile(file, altered);
  entry.data.sha256 = createHash('sha256').update(altered).digest('hex');
  entry.data.bytes = altered.length;
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
}
