import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { ClientBase } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** What was written: compressed bytes, their sha256, and lines (rows) of COPY text inside. */
export interface WrittenFile {
  bytes: number;
  sha256: string;
  rows: number;
}

/** Fast gzip: backups are written while the app runs; level 1 costs little CPU and halves text data. */
const GZIP_LEVEL = 1;
const NEWLINE = 0x0a;

function countLines(buffer: Buffer): number {
  let lines = 0;
  let at = buffer.indexOf(NEWLINE);
  while (at !== -1) {
    lines += 1;
    at = buffer.indexOf(NEWLINE, at + 1);
  }
  return lines;
}

/** Passes bytes through, counting newlines: COPY text has exactly one per row (newlines in values are escaped). */
class LineCounter extends Transform {
  lines = 0;
  constructor(private readonly onLines?: (lines: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const lines = countLines(chunk);
    this.lines += lines;
    if (lines && this.onLines) this.onLines(lines);
    callback(null, chunk);
  }
}

/** Passes bytes through, hashing and counting them. */
class Hasher extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Streams `COPY ... TO STDOUT` through gzip into `path` (no table in memory); fsyncs it. */
export async function writeCopyFile(client: ClientBase, copySql: string, path: string, onRows?: (rows: number) => void): Promise<WrittenFile> {
  const counter = new LineCounter(onRows);
  const hasher = new Hasher();
  const source = client.query(copyTo(copySql));
  await pipeline(source, counter, createGzip({ level: GZIP_LEVEL }), hasher, createWriteStream(path, { flags: 'wx' }));
  await fsyncFile(path);
  return { bytes: hasher.bytes, sha256: hasher.digest(), rows: counter.lines };
}

/** Writes lines of COPY text (already escaped) through gzip into `path`. */
export async function writeLinesFile(lines: string[], path: string): Promise<WrittenFile> {
  const hasher = new Hasher();
  const counter = new LineCounter();
  await pipeline(Readable.from(lines.map((line) => `${line}\n`)), counter, createGzip({ level: GZIP_LEVEL }), hasher, createWriteStream(path, { flags: 'wx' }));
  await fsyncFile(path);
  return { bytes: hasher.bytes, sha256: hasher.digest(), rows: counter.lines };
}

/** Writes a plain text file (SQL, README) and returns its size and sha256. */
export async function writeTextFile(text: string, path: string): Promise<{ bytes: number; sha256: string }> {
  const hasher = new Hasher();
  await pipeline(Readable.from([Buffer.from(text)]), hasher, createWriteStream(path, { flags: 'wx' }));
  await fsyncFile(path);
  return { bytes: hasher.bytes, sha256: hasher.digest() };
}

/** sha256 and size of a file as it is on disk. */
export async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hasher = new Hasher();
  await pipeline(createReadStream(path), hasher, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  return { bytes: hasher.bytes, sha256: hasher.digest() };
}

/** Lines inside a gzip file (throws on a truncated or damaged stream). */
export async function countGzipLines(path: string): Promise<number> {
  const counter = new LineCounter();
  await pipeline(createReadStream(path), createGunzip(), counter, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  return counter.lines;
}

/** Streams a gzip COPY file into `COPY ... FROM STDIN`. */
export async function loadCopyFile(client: ClientBase, copySql: string, path: string, onRows?: (rows: number) => void): Promise<void> {
  await pipeline(createReadStream(path), createGunzip(), new LineCounter(onRows), client.query(copyFrom(copySql)));
}

/** COPY text escaping of one value (backslash, newline, carriage return, tab). */
export function copyTextValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}
