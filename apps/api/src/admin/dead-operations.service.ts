import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { validate as isUuid } from 'uuid';
import { LedgerTransitionError, OperationLedger, ReplayQueue, type OperationStatus } from '@dualwrite/dual-write';

export interface RequeuedView {
  opId: string;
  /** `secondary_pending` (the primary answered) or `primary_unavailable` (it did not). */
  status: OperationStatus;
  /** Queued on dw-replay now; false when Redis did not take it (the worker's ledger sweep queues it within a minute). */
  queued: boolean;
}

/**
 * What an operator does with a dead operation, which refuses every flip of the primary and the phase gates until it
 * is settled: requeue it once its cause is fixed (owed again, or of unknown outcome, attempts from zero, its replay
 * queued), or abandon a serial create whose key nobody learnt once reconciliation has dealt with its row.
 */
@Injectable()
export class DeadOperationsService {
  constructor(
    private readonly ledger: OperationLedger,
    private readonly queue: ReplayQueue,
  ) {}

  async requeue(opId: string, requestedBy: string): Promise<RequeuedView> {
    checkOpId(opId);
    const status = await this.ledger.dead.requeue(opId, requestedBy).catch((error: unknown) =>
      refused(error, opId, 'requeued', 'without keys (a serial create whose key nobody learnt): no replay can find its row; reconcile its entity, then abandon it'),
    );
    const queued = await this.queue.enqueue(opId).then(
      () => true,
      () => false,
    );
    return { opId, status, queued };
  }

  async abandon(opId: string, requestedBy: string, reason: string): Promise<AbandonedView> {
    checkOpId(opId);
    await this.ledger.dead.abandon(opId, requestedBy, reason).catch((error: unknown) => refused(error, opId, 'abandoned', 'with keys, or the primary answered it: requeue it instead'));
    return { opId, status: 'abandoned' };
  }
}

export interface AbandonedView {
  opId: string;
  status: 'abandoned';
}

function checkOpId(opId: string): void {
  if (!isUuid(opId)) throw new BadRequestException(`operation id "${opId}" is not a uuid`);
}

/** The ledger's refusal as the caller gets it: 404 unknown, 409 naming its status (and, when dead, why not this). */
function refused(error: unknown, opId: string, action: 'requeued' | 'abandoned', whyNotWhenDead: string): never {
  if (!(error instanceof LedgerTransitionError)) throw error;
  if (error.status === 'missing') throw new NotFoundException(`No operation ${opId} in the ledger.`);
  throw new ConflictException(
    error.status === 'dead' ? `operation ${opId} is dead ${whyNotWhenDead}` : `operation ${opId} is ${error.status}, not dead: only a dead operation is ${action}`,
  );
}
