import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { BackupProgress } from './backup-context';
import { BackupError } from './backup-errors';
import type { BackupKind, BackupStoreId } from './backup-manifest';
import type { BackupService } from './backup-service';

/** A job of the backups queue (DW_BACKUP_QUEUE): what the worker runs for the schedule and for the admin API. */
export type BackupJobData =
  | { operation: 'backup'; store: BackupStoreId; kind: BackupKind; requestedBy: string }
  /** `id` omitted: the store's newest complete backup. */
  | { operation: 'drill'; id?: string; store?: BackupStoreId; requestedBy: string }
  | { operation: 'validate'; id: string; requestedBy: string }
  /** Into the configured database of store `target`. */
  | { operation: 'restore'; id: string; target: BackupStoreId; force: boolean; requestedBy: string }
  | { operation: 'retention'; keepFull: number; keepDays: number; requestedBy: string };

export type BackupJobState = 'waiting' | 'active' | 'completed' | 'failed' | 'delayed' | 'prioritized' | 'waiting-children' | 'unknown';

export interface BackupJobView {
  jobId: string;
  operation: BackupJobData['operation'];
  data: BackupJobData;
  state: BackupJobState;
  progress: BackupProgress | null;
  result: unknown;
  failedReason: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** The producer side: queue a backup job, read a job's state and progress. */
export class BackupJobQueue {
  private readonly queue: Queue<BackupJobData>;

  constructor(readonly name: string, connection: ConnectionOptions) {
    this.queue = new Queue<BackupJobData>(name, {
      connection,
      defaultJobOptions: { attempts: 1, removeOnComplete: { age: 7 * 86_400, count: 1_000 }, removeOnFail: { age: 30 * 86_400, count: 1_000 } },
    });
    // Redis away: every enqueue and view fails with the reason; the connection's own retries need no log line each.
    this.queue.on('error', () => undefined);
  }

  async enqueue(data: BackupJobData): Promise<{ jobId: string }> {
    const job = await this.queue.add(data.operation, data);
    if (!job.id) throw new Error(`queue ${this.name} gave the job no id`);
    return { jobId: job.id };
  }

  async view(jobId: string): Promise<BackupJobView | null> {
    // The state first, the job after: a job read before its state could say 'completed' without its result.
    const state = (await this.queue.getJobState(jobId)) as BackupJobState;
    const job = await this.queue.getJob(jobId);
    return job ? viewOf(job, state) : null;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  /** Removes the queue and its jobs from Redis (tests). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }
}

function viewOf(job: Job<BackupJobData>, state: BackupJobState): BackupJobView {
  const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as BackupProgress) : null;
  return {
    jobId: job.id ?? '',
    operation: job.data.operation,
    data: job.data,
    state,
    progress,
    result: job.returnvalue ?? null,
    failedReason: job.failedReason ?? null,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

/** Runs one job with the service; progress goes to `onProgress`. Returns a JSON result for the job. */
export async function runBackupJob(service: BackupService, data: BackupJobData, onProgress: (progress: BackupProgress) => void): Promise<unknown> {
  switch (data.operation) {
    case 'backup': {
      const manifest = await service.create({ store: data.store, kind: data.kind, onProgress });
      return { id: manifest.id, kind: manifest.kind, store: manifest.store, parentId: manifest.parentId, totalRows: manifest.totalRows, totalBytes: manifest.totalBytes, durationMs: manifest.durationMs };
    }
    case 'drill': {
      const id = data.id ?? (await newestComplete(service, data.store));
      const report = await service.drill(id, { onProgress });
      if (!report.ok) throw new BackupError('invalid_backup', `Drill of ${id} failed: ${report.failure}`);
      return report;
    }
    case 'validate': {
      const report = await service.validate(data.id, { onProgress });
      return report;
    }
    case 'restore': {
      const targetUrl = service.databaseUrlOf(data.target);
      return service.restore(data.id, { targetUrl, force: data.force, onProgress });
    }
    case 'retention':
      return service.applyRetention({ keepFull: data.keepFull, keepDays: data.keepDays });
  }
}

async function newestComplete(service: BackupService, store: BackupStoreId | undefined): Promise<string> {
  const [latest] = await service.list({ store, status: 'complete', limit: 1 });
  if (!latest) throw new BackupError('unknown_backup', `No complete backup${store ? ` of store ${store}` : ''} to drill.`);
  return latest.id;
}

/** The consumer side: one job at a time (backups are heavy), progress reported to BullMQ. */
export function openBackupWorker(name: string, connection: ConnectionOptions, service: BackupService, options: { lockDuration?: number } = {}): Worker<BackupJobData> {
  return new Worker<BackupJobData>(
    name,
    (job) =>
      runBackupJob(service, job.data, (progress) => {
        void job.updateProgress({ ...progress }).catch(() => undefined);
      }),
    { connection, concurrency: 1, lockDuration: options.lockDuration ?? 60_000 },
  );
}
