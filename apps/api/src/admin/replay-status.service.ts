import { Injectable } from '@nestjs/common';
import { OperationLedger, ReplayQueue, type OperationRecord, type OperationStatus } from '@dualwrite/dual-write';
import { withTimeout } from '../health/with-timeout';

/** Dead operations listed at most; the counts say how many there are in all. */
export const DEAD_OPERATIONS_SHOWN = 50;
const QUEUE_DEPTH_TIMEOUT_MS = 1_000;

export type DeadOperationView = Pick<OperationRecord, 'opId' | 'entity' | 'operation' | 'entityIds' | 'attempts' | 'lastError' | 'updatedAt'>;

export interface ReplayStatusView {
  /** Operations in the ledger per status. */
  counts: Record<OperationStatus, number>;
  /** Jobs on dw-replay (waiting, backing off, running); null when Redis does not answer. */
  queueDepth: number | null;
  note?: string;
  /** The oldest dead operations: replay gave up on them and an operator decides. */
  dead: DeadOperationView[];
}

@Injectable()
export class ReplayStatusService {
  constructor(
    private readonly ledger: OperationLedger,
    private readonly queue: ReplayQueue,
  ) {}

  async status(): Promise<ReplayStatusView> {
    const [counts, dead, depth] = await Promise.all([
      this.ledger.countByStatus(),
      this.ledger.listByStatus('dead', DEAD_OPERATIONS_SHOWN),
      withTimeout(this.queue.depth(), QUEUE_DEPTH_TIMEOUT_MS, 'Redis').then(
        (queueDepth) => ({ queueDepth }),
        (error: unknown) => ({ queueDepth: null, error }),
      ),
    ]);
    return {
      counts,
      queueDepth: depth.queueDepth,
      ...('error' in depth
        ? { note: 'Redis is unreachable, so the queue depth is unknown; the ledger counts still hold every operation owed.' }
        : {}),
      dead: dead.map(({ opId, entity, operation, entityIds, attempts, lastError, updatedAt }) => ({
        opId,
        entity,
        operation,
        entityIds,
        attempts,
        lastError,
        updatedAt,
      })),
    };
  }
}
