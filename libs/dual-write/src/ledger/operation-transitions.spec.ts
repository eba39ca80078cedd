import {
  LedgerTransitionError,
  OPERATION_EVENTS,
  OPERATION_STATUSES,
  nextStatus,
  retryAnswer,
  statusesAccepting,
  type OperationEvent,
  type OperationStatus,
  type RetryAnswer,
} from './operation-transitions';

/** The whole table, written out: every status × event pair and where it leads (null: refused). */
const EXPECTED: Record<OperationStatus, Record<OperationEvent, OperationStatus | null>> = {
  pending: {
    primary_wrote: 'primary_done',
    primary_wrote_alone: 'applied',
    primary_rejected: 'rejected',
    primary_unavailable: 'primary_unavailable',
    secondary_synced: null,
    secondary_failed: null,
    replay_gave_up: null,
    left_pending: 'primary_unavailable',
    left_primary_done: null,
    retried: null,
    landed_after_takeover: null,
    requeued: null,
    requeued_unanswered: null,
    abandoned_by_operator: null,
  },
  primary_done: {
    primary_wrote: null,
    primary_wrote_alone: null,
    primary_rejected: null,
    primary_unavailable: null,
    secondary_synced: 'applied',
    secondary_failed: 'secondary_pending',
    replay_gave_up: null,
    left_pending: null,
    left_primary_done: 'secondary_pending',
    retried: null,
    landed_after_takeover: null,
    requeued: null,
    requeued_unanswered: null,
    abandoned_by_operator: null,
  },
  applied: {
    primary_wrote: null,
    primary_wrote_alone: null,
    primary_rejected: null,
    primary_unavailable: null,
    secondary_synced: null,
    secondary_failed: null,
    replay_gave_up: null,
    left_pending: null,
    left_primary_done: null,
    retried: null,
    landed_after_takeover: null,
    requeued: null,
    requeued_unanswered: null,
    abandoned_by_operator: null,
  },
  secondary_pending: {
    primary_wrote: null,
    primary_wrote_alone: null,
    primary_rejected: null,
    primary_unavailable: null,
    secondary_synced: 'applied',
    secondary_failed: null,
    replay_gave_up: 'dead',
    left_pending: null,
    left_primary_done: null,
    retried: null,
    landed_after_takeover: null,
    requeued: null,
    requeued_unanswered: null,
    abandoned_by_operator: null,
  },
  dead: {
    primary_wrote: null,
    primary_wrote_alone: null,
    primary_rejected: null,
    primary_unavailable: null,
    secondary_synced: null,
    secondary_failed: null,
    replay_gave_up: null,
    left_pending: null,
    left_primary_done: null,
    retried: 'pending',
    landed_after_takeover: 'primary_unavailable',
    requeued: 'secondary_pending',
    requeued_unanswered: 'primary_unavailable',
    abandoned_by_operator: 'abandoned',
  },
  rejected: {
    primary_wrote: null,
    primary_wrote_alone: null,
    primary_rejected: null,
    primary_unavailable: null,
    secondary_synced: null,
    secondary_failed: null,
    replay_gave_up: null,
    left_pending: null,
    left_primary_done: null,
    retried: null,
    landed_after_takeover: null,
    requeued: null,
    requeued_unanswered: null,
    abandoned_by_operator: null,
  },
  primary_unavailable: {
    primary_wrote: null,
    primary_wrote_alone: null,
    primary_rejected: null,
    primary_unavailable: null,
    secondary_synced: 'abandoned',
    secondary_failed: null,
    replay_gave_up: 'dead',
    left_pending: null,
    left_primary_done: null,
    retried: 'pending',
    landed_after_takeover: null,
    requeued: null,
    requeued_unanswered: null,
    abandoned_by_operator: null,
  },
  abandoned: {
    primary_wrote: null,
    primary_wrote_alone: null,
    primary_rejected: null,
    primary_unavailable: null,
    secondary_synced: null,
    secondary_failed: null,
    replay_gave_up: null,
    left_pending: null,
    left_primary_done: null,
    retried: 'pending',
    landed_after_takeover: 'primary_unavailable',
    requeued: null,
    requeued_unanswered: null,
    abandoned_by_operator: null,
  },
};

describe('operation state machine', () => {
  for (const status of OPERATION_STATUSES) {
    for (const event of OPERATION_EVENTS) {
      const expected = EXPECTED[status][event];
      it(`${status} + ${event} → ${expected ?? 'refused'}`, () => {
        expect(nextStatus(status, event)).toBe(expected);
        expect(statusesAccepting(event).includes(status)).toBe(expected !== null);
      });
    }
  }

  it('never leaves applied or rejected: they are final', () => {
    for (const status of ['applied', 'rejected'] as const) {
      expect(OPERATION_EVENTS.map((event) => nextStatus(status, event)).filter((next) => next !== null)).toEqual([]);
    }
  });

  it('leaves dead only to run its write again, to sync a late landing of it, or by an operator (requeued, or abandoned when keyless)', () => {
    expect(OPERATION_EVENTS.filter((event) => nextStatus('dead', event) !== null)).toEqual(['retried', 'landed_after_takeover', 'requeued', 'requeued_unanswered', 'abandoned_by_operator']);
  });

  it('never reports an owed or unknown-outcome operation as applied without a sync', () => {
    const toApplied = OPERATION_EVENTS.flatMap((event) => OPERATION_STATUSES.filter((status) => nextStatus(status, event) === 'applied').map((status) => `${status} + ${event}`));
    expect(toApplied.sort()).toEqual(['pending + primary_wrote_alone', 'primary_done + secondary_synced', 'secondary_pending + secondary_synced']);
  });

  describe('a retry (same opId) is answered', () => {
    const EXPECTED_ANSWERS: Record<OperationStatus, [answered: RetryAnswer, notAnswered: RetryAnswer]> = {
      pending: ['in_progress', 'in_progress'],
      primary_done: ['first_answer', 'first_answer'],
      applied: ['first_answer', 'first_answer'],
      secondary_pending: ['first_answer', 'first_answer'],
      dead: ['first_answer', 'run_again'],
      rejected: ['same_refusal', 'same_refusal'],
      primary_unavailable: ['run_again', 'run_again'],
      abandoned: ['run_again', 'run_again'],
    };
    for (const status of OPERATION_STATUSES) {
      const [answered, notAnswered] = EXPECTED_ANSWERS[status];
      it(`${status}: ${answered} with the primary's answer in the ledger, ${notAnswered} without`, () => {
        expect(retryAnswer(status, true)).toBe(answered);
        expect(retryAnswer(status, false)).toBe(notAnswered);
      });
    }

    it('runs again only what the ledger lets a retry reclaim', () => {
      const runAgain = OPERATION_STATUSES.filter((status) => retryAnswer(status, false) === 'run_again');
      expect(runAgain.sort()).toEqual([...statusesAccepting('retried')].sort());
    });

    it('refuses a status it does not know', () => {
      expect(retryAnswer('archived' as OperationStatus, false)).toBe('refused');
    });
  });

  it('names the operation, its status and the statuses the event needs when it refuses', () => {
    expect(new LedgerTransitionError('op-1', 'applied', 'secondary_failed').message).toBe('operation op-1 is applied; secondary_failed applies only to primary_done');
    expect(new LedgerTransitionError('op-2', 'missing', 'retried').message).toBe('operation op-2 is not in the ledger (event retried)');
  });
});
