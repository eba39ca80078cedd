import type { Pool } from 'pg';
import { MAX_ERROR_LENGTH, UNANSWERED_SQL } from './operation-record';
import { LedgerTransitionError, type OperationStatus } from './operation-transitions';
import { statusCaseSql } from './sync-settlement';

/**
 * What an operator does with a dead operation, which refuses every flip of the primary and the phase gates until it
 * is settled (POST /admin/replay/:opId/requeue and …/abandon). Each is one conditional update, like every ledger
 * event; a refusal is LedgerTransitionError naming the status found.
 */
export class DeadOperations {
  constructor(private readonly pool: Pool) {}

  /**
   * Its retry once the cause is fixed: `secondary_pending` again when the primary answered (its result),
   * `primary_unavailable` when it did not, its attempts starting over; the caller queues its replay. Refused unless
   * dead, and (a keyless serial create: no replay can find its row) unless it has keys.
   */
  async requeue(opId: string, requestedBy: string): Promise<OperationStatus> {
    const { rows } = await this.pool.query<{ status: OperationStatus }>(
      `update dual_write_ops
          set status = case when ${UNANSWERED_SQL} then ${statusCaseSql('requeued_unanswered')} else ${statusCaseSql('requeued')} end,
              attempts = 0, last_error = left('requeued by ' || $2 || ' after: ' || coalesce(last_error, 'no error recorded'), ${MAX_ERROR_LENGTH}),
              updated_at = now()
        where op_id = $1 and status = 'dead' and cardinality(entity_ids) > 0
        returning status`,
      [opId, requestedBy],
    );
    if (rows[0]) return rows[0].status;
    throw new LedgerTransitionError(opId, await this.statusOf(opId), 'requeued');
  }

  /**
   * Settles a dead operation no replay can settle, a serial create whose key nobody learnt, once reconciliation has
   * dealt with its row if it landed: `abandoned` (never acknowledged), the reason kept. Refused for any other
   * operation: one with keys is requeued instead.
   */
  async abandon(opId: string, requestedBy: string, reason: string): Promise<void> {
    const { rowCount } = await this.pool.query(
      `update dual_write_ops
          set status = ${statusCaseSql('abandoned_by_operator')}, last_error = left('abandoned by ' || $2 || ': ' || $3, ${MAX_ERROR_LENGTH}), updated_at = now()
        where op_id = $1 and status = 'dead' and ${UNANSWERED_SQL} and cardinality(entity_ids) = 0`,
      [opId, requestedBy, reason],
    );
    if (rowCount === 1) return;
    throw new LedgerTransitionError(opId, await this.statusOf(opId), 'abandoned_by_operator');
  }

  private async statusOf(opId: string): Promise<OperationStatus | 'missing'> {
    const { rows } = await this.pool.query<{ status: OperationStatus }>('select status from dual_write_ops where op_id = $1', [opId]);
    return rows[0]?.status ?? 'missing';
  }
}
