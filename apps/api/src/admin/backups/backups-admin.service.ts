import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException, type OnModuleDestroy } from '@nestjs/common';
import {
  BackupJobQueue,
  BackupService,
  isBackupError,
  type BackupJobView,
  type BackupManifest,
  type BackupSummary,
  type RestoreReport,
  type ValidationReport,
} from '@dualwrite/backup';
import { bullConnection } from '@dualwrite/dual-write';
import type { PlatformConfig } from '@dualwrite/config';
import type { z } from 'zod';
import { PLATFORM_CONFIG } from '../../api.tokens';
import { EXAMPLE_ENTITIES } from '../../example-host/example-entities';
import type { backupCreateBody, backupListQuery, backupRestoreBody } from './backups.schema';

export interface QueuedJob {
  jobId: string;
  /** Where to read the job's state and progress. */
  statusUrl: string;
}

/** A BackupError as the HTTP status that says the same: unknown → 404, refused → 409, storage down → 503. */
function httpError(error: unknown): never {
  if (!isBackupError(error)) throw error;
  switch (error.kind) {
    case 'unknown_backup':
      throw new NotFoundException(error.message);
    case 'storage_unavailable':
      throw new ServiceUnavailableException(error.message);
    case 'unsupported_entity':
    case 'confirmation_required':
      throw new BadRequestException(error.message);
    default:
      throw new ConflictException(error.message);
  }
}

/**
 * The admin side of backups: reads (list, one backup, job progress) and quick checks (validate, restore dry run)
 * run here; backups, drills and restores are queued on DW_BACKUP_QUEUE for the worker, which reports progress.
 */
@Injectable()
export class BackupsAdminService implements OnModuleDestroy {
  private readonly backups: BackupService;
  private readonly jobs: BackupJobQueue;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    const dbUrlB = config.supabase?.dbUrl;
    this.backups = new BackupService({
      storagePath: config.backupStoragePath,
      controlDatabaseUrl: config.controlDatabaseUrl,
      entities: EXAMPLE_ENTITIES,
      sources: { a: { databaseUrl: config.primaryDatabaseUrl }, ...(dbUrlB ? { b: { databaseUrl: dbUrlB } } : {}) },
    });
    this.jobs = new BackupJobQueue(config.backups.queue, bullConnection(config.redisUrl));
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
    await this.backups.close();
  }

  list(query: z.output<typeof backupListQuery>): Promise<BackupSummary[]> {
    return this.backups.list(query);
  }

  async get(id: string): Promise<{ summary: BackupSummary | null; manifest: BackupManifest }> {
    return this.backups.get(id).catch(httpError);
  }

  async create(body: z.output<typeof backupCreateBody>, caller: string): Promise<QueuedJob> {
    if (!this.backups.stores.includes(body.store)) throw new BadRequestException(`store ${body.store} has no database connection configured for backups`);
    return this.queued(await this.jobs.enqueue({ operation: 'backup', store: body.store, kind: body.kind, requestedBy: caller }));
  }

  async job(jobId: string): Promise<BackupJobView> {
    const view = await this.jobs.view(jobId);
    if (!view) throw new NotFoundException(`No backup job ${jobId} (unknown, or removed after 7 days).`);
    return view;
  }

  validate(id: string): Promise<ValidationReport> {
    return this.backups.validate(id).catch(httpError);
  }

  async drill(id: string, caller: string): Promise<QueuedJob> {
    await this.backups.get(id).catch(httpError);
    return this.queued(await this.jobs.enqueue({ operation: 'drill', id, requestedBy: caller }));
  }

  /** A dry run answers at once; a restore needs `confirm` equal to the id and is queued. */
  async restore(id: string, body: z.output<typeof backupRestoreBody>, caller: string): Promise<QueuedJob | RestoreReport> {
    const { manifest } = await this.backups.get(id).catch(httpError);
    const target = body.target ?? manifest.store;
    if (!this.backups.stores.includes(target)) throw new BadRequestException(`store ${target} has no database connection configured for backups`);
    if (body.confirm !== id && !body.dryRun) {
      throw new BadRequestException(`A restore replaces every row of store ${target}'s registered tables: send "confirm": "${id}" to mean it (or "dryRun": true to see what would change).`);
    }
    // The plan first (files re-hashed, target schema compared): a restore that would be refused is refused now, not in the job.
    const plan = await this.backups.restore(id, { targetUrl: this.backups.databaseUrlOf(target), force: body.force, dryRun: true }).catch(httpError);
    if (body.dryRun) return plan;
    if (!plan.schemaMatches && !body.force) {
      throw new ConflictException(`Restore refused: store ${target}'s schema differs from backup ${id}'s: ${plan.schemaDifferences.join('; ')}. Send "force": true to restore anyway.`);
    }
    return this.queued(await this.jobs.enqueue({ operation: 'restore', id, target, force: body.force, requestedBy: caller }));
  }

  async delete(id: string, confirm: string): Promise<{ deleted: string[] }> {
    if (confirm !== id) throw new BadRequestException(`Deleting a backup (and the incrementals built on it) cannot be undone: send "confirm": "${id}".`);
    return this.backups.delete(id).catch(httpError);
  }

  private queued({ jobId }: { jobId: string }): QueuedJob {
    return { jobId, statusUrl: `/admin/backups/jobs/${jobId}` };
  }
}
