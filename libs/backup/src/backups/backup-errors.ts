/** Why a backup operation refused or failed; every message names the backup, file or table at fault. */
export type BackupErrorKind =
  | 'unknown_backup'
  | 'incomplete_backup'
  | 'invalid_backup'
  | 'schema_mismatch'
  | 'storage_unavailable'
  | 'no_parent'
  | 'unsupported_entity'
  | 'backup_failed'
  | 'restore_failed'
  | 'confirmation_required';

export class BackupError extends Error {
  constructor(
    readonly kind: BackupErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackupError';
  }
}

export function isBackupError(error: unknown, kind?: BackupErrorKind): error is BackupError {
  return error instanceof BackupError && (kind === undefined || error.kind === kind);
}

/** Error text without any connection-string password that a driver may have echoed. */
export function safeMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@');
}
