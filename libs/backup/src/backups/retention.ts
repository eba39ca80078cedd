/** What retention needs to know about one backup. */
export interface RetentionCandidate {
  id: string;
  kind: 'full' | 'incremental';
  store: string;
  /** For an incremental: the full backup it builds on. */
  fullId: string | null;
  status: 'running' | 'complete' | 'failed';
  startedAt: Date;
}

export interface RetentionPolicy {
  /** Keep at least this many newest complete full backups per store. */
  keepFull: number;
  /** Keep every backup started within this many days. */
  keepDays: number;
  /** Failed runs (and runs still 'running' after this long, left by a stopped process) are removed. */
  staleRunningMs?: number;
}

export interface RetentionPlan {
  keep: string[];
  remove: string[];
}

const DAY_MS = 86_400_000;

/**
 * Which backups go. A complete full backup is kept while it is among the `keepFull` newest of its store or
 * started within `keepDays`; an incremental goes exactly when its full goes (it cannot be restored without it);
 * failed runs go; a run still 'running' goes once older than `staleRunningMs` (default one day).
 */
export function planRetention(backups: RetentionCandidate[], policy: RetentionPolicy, now: Date): RetentionPlan {
  if (!Number.isInteger(policy.keepFull) || policy.keepFull < 1) throw new Error(`keepFull must be a whole number of at least 1, got ${policy.keepFull}`);
  if (!(policy.keepDays >= 0)) throw new Error(`keepDays must be 0 or more, got ${policy.keepDays}`);
  const staleMs = policy.staleRunningMs ?? DAY_MS;
  const cutoff = now.getTime() - policy.keepDays * DAY_MS;
  const keptFulls = new Set<string>();
  const byStore = new Map<string, RetentionCandidate[]>();
  for (const backup of backups) {
    if (backup.kind !== 'full' || backup.status !== 'complete') continue;
    byStore.set(backup.store, [...(byStore.get(backup.store) ?? []), backup]);
  }
  for (const fulls of byStore.values()) {
    const newestFirst = [...fulls].sort((x, y) => y.startedAt.getTime() - x.startedAt.getTime() || y.id.localeCompare(x.id));
    newestFirst.forEach((full, rank) => {
      if (rank < policy.keepFull || full.startedAt.getTime() >= cutoff) keptFulls.add(full.id);
    });
  }
  const keep: string[] = [];
  const remove: string[] = [];
  for (const backup of backups) {
    let kept: boolean;
    if (backup.status === 'failed') kept = false;
    else if (backup.status === 'running') kept = now.getTime() - backup.startedAt.getTime() < staleMs;
    else if (backup.kind === 'full') kept = keptFulls.has(backup.id);
    else kept = backup.fullId !== null && keptFulls.has(backup.fullId);
    (kept ? keep : remove).push(backup.id);
  }
  return { keep, remove };
}
