import { UsageError, parseFlags } from './args';

/** The command lines of `npm run backup`, `restore`, `backup-validate` and `backup-drill` (pure; UsageError names the flag). */

export type StoreId = 'a' | 'b';
const ID = /^[A-Za-z0-9._-]{1,120}$/;

function storeFlag(flag: string, value: string | undefined, fallback?: StoreId): StoreId {
  const text = value ?? fallback;
  if (text === 'a' || text === 'b') return text;
  throw new UsageError(`${flag} must be a or b (store A: PRIMARY_DATABASE_URL, store B: SUPABASE_DB_URL), got "${value ?? ''}"`);
}

function idFlag(value: string | undefined): string {
  if (value === undefined) throw new UsageError('--id is required: the backup id (GET /admin/backups, or the folder names in BACKUP_STORAGE_PATH)');
  if (!ID.test(value) || value.startsWith('.')) throw new UsageError(`--id must be a backup id (letters, digits, ".", "_", "-"), got "${value}"`);
  return value;
}

export const BACKUP_USAGE = [
  'usage: npm run backup -- [--store=a|b] [--kind=full|incremental]',
  '  --store=a            the store to back up: a (PRIMARY_DATABASE_URL) or b (SUPABASE_DB_URL)',
  '  --kind=full          full, or incremental (rows changed and deleted since the store\'s newest backup)',
  'Writes to BACKUP_STORAGE_PATH; prints the backup id and the manifest summary.',
].join('\n');

export type BackupRequest = { kind: 'help' } | { kind: 'backup'; store: StoreId; backupKind: 'full' | 'incremental' };

export function parseBackupArgs(argv: string[]): BackupRequest {
  const flags = parseFlags(argv, { store: { type: 'string' }, kind: { type: 'string' }, help: { type: 'boolean' } });
  if (flags.help) return { kind: 'help' };
  const backupKind = flags.kind ?? 'full';
  if (backupKind !== 'full' && backupKind !== 'incremental') throw new UsageError(`--kind must be full or incremental, got "${backupKind}"`);
  return { kind: 'backup', store: storeFlag('--store', flags.store, 'a'), backupKind };
}

export const RESTORE_USAGE = [
  'usage: npm run restore -- --id=<backup id> (--target=<postgresql://...> | --into-store=a|b) [--dry-run] [--force] [--verify-checksums] [--yes]',
  '  --id=ID              the backup to restore: a full one, or an incremental (its full and the incrementals up to it)',
  '  --target=URL         the database to restore into (any; its tables are created when it has none)',
  '  --into-store=a|b     or the configured database of store a or b',
  '  --dry-run            show the tables and row counts that would change; change nothing',
  '  --force              restore although the target\'s tables differ from the backup\'s',
  '  --verify-checksums   also compare every table\'s content checksum with the manifest before committing (slower)',
  '  --yes                required for a real restore: every row of the registered tables is replaced',
].join('\n');

export type RestoreRequest =
  | { kind: 'help' }
  | { kind: 'restore'; id: string; target: { url: string } | { store: StoreId }; dryRun: boolean; force: boolean; verifyChecksums: boolean };

export function parseRestoreArgs(argv: string[]): RestoreRequest {
  const flags = parseFlags(argv, {
    id: { type: 'string' },
    target: { type: 'string' },
    'into-store': { type: 'string' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    'verify-checksums': { type: 'boolean' },
    yes: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (flags.help) return { kind: 'help' };
  const id = idFlag(flags.id);
  if ((flags.target === undefined) === (flags['into-store'] === undefined)) throw new UsageError('give exactly one of --target=<postgresql://...> and --into-store=a|b');
  if (flags.target !== undefined && !/^postgres(ql)?:\/\/.+/.test(flags.target)) throw new UsageError('--target must be a postgresql:// connection string');
  const dryRun = flags['dry-run'] ?? false;
  if (!dryRun && !flags.yes) throw new UsageError('--yes is required for a restore (it replaces every row of the registered tables); try --dry-run first');
  const target = flags.target !== undefined ? { url: flags.target } : { store: storeFlag('--into-store', flags['into-store']) };
  return { kind: 'restore', id, target, dryRun, force: flags.force ?? false, verifyChecksums: flags['verify-checksums'] ?? false };
}

export const VALIDATE_USAGE = [
  'usage: npm run backup-validate -- --id=<backup id>',
  '  --id=ID    re-hash every file of the backup (and the backups it builds on) and count its rows; exit 1 naming the first bad file',
].join('\n');

export const DRILL_USAGE = [
  'usage: npm run backup-drill -- (--id=<backup id> | --latest [--store=a|b])',
  '  --id=ID      restore the backup into a scratch database and compare every table\'s checksum with the manifest',
  '  --latest     the newest complete backup of --store (default a)',
].join('\n');

export type IdRequest = { kind: 'help' } | { kind: 'run'; id: string };
export type DrillRequest = { kind: 'help' } | { kind: 'run'; id: string } | { kind: 'latest'; store: StoreId };

export function parseValidateArgs(argv: string[]): IdRequest {
  const flags = parseFlags(argv, { id: { type: 'string' }, help: { type: 'boolean' } });
  if (flags.help) return { kind: 'help' };
  return { kind: 'run', id: idFlag(flags.id) };
}

export function parseDrillArgs(argv: string[]): DrillRequest {
  const flags = parseFlags(argv, { id: { type: 'string' }, latest: { type: 'boolean' }, store: { type: 'string' }, help: { type: 'boolean' } });
  if (flags.help) return { kind: 'help' };
  if (flags.latest && flags.id !== undefined) throw new UsageError('give --id or --latest, not both');
  if (flags.latest) return { kind: 'latest', store: storeFlag('--store', flags.store, 'a') };
  if (flags.store !== undefined) throw new UsageError('--store goes with --latest');
  return { kind: 'run', id: idFlag(flags.id) };
}
