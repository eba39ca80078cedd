import type { OperationLedger } from '../ledger/operation-ledger';
import type { ReplayQueue } from './replay-queue';

/**
 * Re-queues the operations whose stores may still differ and that have waited longer than `olderThanMs`
 * without progress: owed ones (`secondary_pending`) and ones of unknown outcome (`primary_unavailable`), whose
 * replay job never reached Redis (it was away) or was lost. The job id is the opId, so an operation whose job
 * is still queued is not queued twice. Operations left `pending` or `primary_done` for longer than
 * `pendingOlderThanMs` (their process stopped mid-write) are moved on first (ledger.moveStale).
 */
export async function requeueOwedOperations(
  ledger: OperationLedger,
  queue: ReplayQueue,
  options: { olderThanMs: number; pendingOlderThanMs?: number; limit?: number },
): Promise<number> {
  const limit = options.limit ?? 500;
  const stale = options.pendingOlderThanMs === undefined ? [] : await ledger.moveStale(new Date(Date.now() - options.pendingOlderThanMs), limit);
  const before = new Date(Date.now() - options.olderThanMs);
  const owed = await ledger.listByStatus('secondary_pending', limit, before);
  const unknown = await ledger.listByStatus('primary_unavailable', limit, before);
  const opIds = new Set([...stale, ...owed.map((operation) => operation.opId), ...unknown.filter((operation) => operation.secondaryStore !== null).map((operation) => operation.opId)]);
  for (const opId of opIds) await queue.enqueue(opId);
  return opIds.size;
}
