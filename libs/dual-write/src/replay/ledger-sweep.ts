import type { LedgerPage, LedgerPageCursor, OperationLedger } from '../ledger/operation-ledger';
import type { ReplayQueue } from './replay-queue';

/**
 * Re-queues the operations whose stores may still differ and that have waited longer than `olderThanMs`
 * without progress: owed ones (`secondary_pending`) and ones of unknown outcome (`primary_unavailable`), whose
 * replay job never reached Redis (it was away) or was lost. The job id is the opId, so an operation whose job
 * is still queued is not queued twice. Operations left `pending` or `primary_done` are moved on first: those of a
 * process that has not reported for `stoppedProcessGraceMs` (ledger.moveLeftByStoppedProcesses), and any left for
 * longer than `pendingOlderThanMs` (ledger.moveStale: a process that stopped mid-write, or claims without a process
 * recorded). Everything goes
 * `limit` at a time, page after page, until none is left or `budgetMs` has passed (at least one page of each kind
 * is taken): a process that stopped under load, or Redis away for minutes, can leave thousands, and one batch per
 * sweep would take hours to drain them. Each batch is queued before the next is read.
 */
export async function requeueOwedOperations(
  ledger: OperationLedger,
  queue: ReplayQueue,
  options: { olderThanMs: number; pendingOlderThanMs?: number; stoppedProcessGraceMs?: number; limit?: number; budgetMs?: number },
): Promise<number> {
  const limit = options.limit ?? 500;
  const budgetMs = options.budgetMs ?? 10_000;
  const started = Date.now();
  const queued = new Set<string>();
  const enqueueAll = async (opIds: Iterable<string>) => {
    for (const opId of opIds) {
      if (queued.has(opId)) continue;
      await queue.enqueue(opId);
      queued.add(opId);
    }
  };
  const moveAll = async (move: () => Promise<string[]>) => {
    for (;;) {
      const moved = await move();
      await enqueueAll(moved);
      if (moved.length < limit || Date.now() - started >= budgetMs) break;
    }
  };
  const { stoppedProcessGraceMs, pendingOlderThanMs } = options;
  if (stoppedProcessGraceMs !== undefined) await moveAll(() => ledger.moveLeftByStoppedProcesses(stoppedProcessGraceMs, limit));
  if (pendingOlderThanMs !== undefined) {
    const staleBefore = new Date(Date.now() - pendingOlderThanMs);
    await moveAll(() => ledger.moveStale(staleBefore, limit));
  }
  const before = new Date(Date.now() - options.olderThanMs);
  for (const status of ['secondary_pending', 'primary_unavailable'] as const) {
    let after: LedgerPageCursor | null = null;
    do {
      const page: LedgerPage = await ledger.pageOpenByStatus(status, limit, before, after);
      // An operation of unknown outcome with no secondary has nothing to converge.
      const toReplay = status === 'primary_unavailable' ? page.operations.filter((operation) => operation.secondaryStore !== null) : page.operations;
      await enqueueAll(toReplay.map((operation) => operation.opId));
      after = page.next;
    } while (after !== null && Date.now() - started < budgetMs);
  }
  return queued.size;
}
