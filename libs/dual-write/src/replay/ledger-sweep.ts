import type { OperationLedger } from '../ledger/operation-ledger';
import type { ReplayQueue } from './replay-queue';

/**
 * Re-queues operations the secondary still owes that have waited longer than `olderThanMs` without progress:
 * the ones whose replay job never reached Redis (it was away) or was lost. The job id is the opId, so an
 * operation whose job is still queued is not queued twice.
 */
export async function requeueOwedOperations(
  ledger: OperationLedger,
  queue: ReplayQueue,
  options: { olderThanMs: number; limit?: number },
): Promise<number> {
  const owed = await ledger.listByStatus('secondary_pending', options.limit ?? 500, new Date(Date.now() - options.olderThanMs));
  for (const operation of owed) await queue.enqueue(operation.opId);
  return owed.length;
}
