import type { OperationLedger } from '../ledger/operation-ledger';
import type { ReplayQueue } from './replay-queue';

/**
 * Re-queues operations the secondary still owes that have waited longer than `olderThanMs` without progress:
 * the ones whose replay job never reached Redis (it was away) or was lost. The job id is the opId, so an
 * operation whose job is still queued is not queued twice. Operations left `pending` for longer than
 * `pendingOlderThanMs` (their process stopped mid-write) become owed first.
 */
export async function requeueOwedOperations(
  ledger: OperationLedger,
  queue: ReplayQueue,
  options: { olderThanMs: number; pendingOlderThanMs?: number; limit?: number },
): Promise<number> {
  const stale = options.pendingOlderThanMs === undefined ? [] : await ledger.markStalePendingOwed(new Date(Date.now() - options.pendingOlderThanMs), options.limit ?? 500);
  const owed = await ledger.listByStatus('secondary_pending', options.limit ?? 500, new Date(Date.now() - options.olderThanMs));
  const opIds = new Set([...stale, ...owed.map((operation) => operation.opId)]);
  for (const opId of opIds) await queue.enqueue(opId);
  return opIds.size;
}
