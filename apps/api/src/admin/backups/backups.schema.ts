import { z } from 'zod';

export const BACKUP_STORES = ['a', 'b'] as const;
export const BACKUP_KINDS = ['full', 'incremental'] as const;

export const backupCreateBody = z.strictObject({
  store: z.enum(BACKUP_STORES).default('a'),
  kind: z.enum(BACKUP_KINDS).default('full'),
});

export const backupListQuery = z.strictObject({
  store: z.enum(BACKUP_STORES).optional(),
  status: z.enum(['running', 'complete', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const backupRestoreBody = z.strictObject({
  /** The store whose configured database receives the restore; the backup's own store by default. */
  target: z.enum(BACKUP_STORES).optional(),
  force: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  /** The backup id again: a restore replaces the target's rows, so it must be meant. Not needed for a dry run. */
  confirm: z.string().optional(),
});

export const backupDeleteBody = z.strictObject({
  /** The backup id again. */
  confirm: z.string(),
});
