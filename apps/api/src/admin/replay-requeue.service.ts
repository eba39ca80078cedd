import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { LedgerTransitionError, OperationLedger, ReplayQueue, type OperationStatus } from '@dualwrite/dual-write';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RequeuedView {
  opId: string;
  /** `secondary_pending` (the primary answered) or `primary_unavailable` (it did not). */
  status: OperationStatus;
  /** Queued on dw-replay now; false when Redis did not take it (the worker's ledger sweep queues it within a minute). */
  queued: boolean;
}

/**
 * An operator's retry of a dead operation once its cause is fixed: back to owed (or of unknown outcome), its
 * attempts starting over, and its replay queued. A dead operation refuses every flip of the primary and the phase
 * gates; this is how it is settled rather than left.
 */
@Injectable()
export class ReplayRequeueService {
  constructor(
    private readonly ledger: OperationLedger,
    private readonly queue: ReplayQueue,
  ) {}

  async requeue(opId: string, requestedBy: string): Promise<RequeuedView> {
    if (!UUID.test(opId)) throw new BadRequestException(`operation id "${opId}" is not a uuid`);
    let status: OperationStatus;
    try {
      status = await this.ledger.requeueDead(opId, requestedBy);
    } catch (error) {
      if (!(error instanceof LedgerTransitionError)) throw error;
      if (error.status === 'missing') throw new NotFoundException(`No operation ${opId} in the ledger.`);
      throw new ConflictException(
        error.status === 'dead'
          ? `operation ${opId} is dead without keys (a serial create whose key nobody learnt): no replay can find its row; reconcile its entity to find it`
          : `operation ${opId} is ${error.status}, not dead: only a dead operation is requeued`,
      );
    }
    const queued = await this.queue.enqueue(opId).then(
      () => true,
      () => false,
    );
    return { opId, status, queued };
  }
}
