/**
 * The ledger's state machine (PROTOCOL.md): every status an operation can be in, every event that moves it, and
 * which moves are allowed. The ledger applies an event only from a status listed here, in one conditional update.
 *
 * pending              claimed, the primary is being written (or the writing process stopped: outcome unknown)
 * primary_done         the primary holds the write; the secondary is being synced
 * applied              every store that should hold the write does (a later version may be there)
 * secondary_pending    the primary holds the write; the secondary owes it (replay queue)
 * dead                 replay gave up after its attempts; an operator decides (requeues it once the cause is
 *                      fixed); a retry of it runs it again when its primary never answered, and a late landing
 *                      of it reopens it (it has no result then)
 * rejected             the primary refused the write (not found, conflict, invalid): nothing holds it
 * primary_unavailable  the primary could not be reached or did not answer in time: it may hold the write or not
 * abandoned            not acknowledged to anyone; its keys were synced, so both stores agree whatever happened
 */
export const OPERATION_STATUSES = [
  'pending',
  'primary_done',
  'applied',
  'secondary_pending',
  'dead',
  'rejected',
  'primary_unavailable',
  'abandoned',
] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const OPERATION_EVENTS = [
  'primary_wrote',
  'primary_wrote_alone',
  'primary_rejected',
  'primary_unavailable',
  'secondary_synced',
  'secondary_failed',
  'replay_gave_up',
  'left_pending',
  'left_primary_done',
  'retried',
  'landed_after_takeover',
  'requeued',
  'requeued_unanswered',
  'abandoned_by_operator',
] as const;
export type OperationEvent = (typeof OPERATION_EVENTS)[number];

const TRANSITIONS: Record<OperationEvent, Partial<Record<OperationStatus, OperationStatus>>> = {
  // The primary wrote it in a dual mode: now the secondary is synced.
  primary_wrote: { pending: 'primary_done' },
  // The primary wrote it in a single-store mode: nothing else to do.
  primary_wrote_alone: { pending: 'applied' },
  primary_rejected: { pending: 'rejected' },
  primary_unavailable: { pending: 'primary_unavailable' },
  // The sync made the secondary hold the primary's current rows: an owed op is settled, an op whose primary
  // outcome was unknown is settled without having been acknowledged.
  secondary_synced: { primary_done: 'applied', secondary_pending: 'applied', primary_unavailable: 'abandoned' },
  secondary_failed: { primary_done: 'secondary_pending' },
  replay_gave_up: { secondary_pending: 'dead', primary_unavailable: 'dead' },
  // The sweep: the writing process stopped before it recorded the primary's outcome, or before the sync ended.
  left_pending: { pending: 'primary_unavailable' },
  left_primary_done: { primary_done: 'secondary_pending' },
  // A retry of a write nobody was told succeeded runs it again; a dead one only when its primary never answered
  // (no result: see retryAnswer; the ledger checks it too), so a retry never gets the first answer of nothing.
  retried: { primary_unavailable: 'pending', abandoned: 'pending', dead: 'pending' },
  // A paused process's primary write landed after the sweep took its operation over and the replay settled it, or
  // gave up on it (a serial create whose key nobody had learnt): of unknown outcome again (open, so a flip waits for
  // it) until its keys, now known, are synced once more.
  landed_after_takeover: { abandoned: 'primary_unavailable', dead: 'primary_unavailable' },
  // An operator's retry of a dead operation once its cause is fixed (POST /admin/replay/:opId/requeue): owed again
  // when the primary answered (its result), of unknown outcome again when it did not; the ledger checks which, and
  // refuses one without keys (a serial create whose key nobody learnt: no replay can find its row).
  requeued: { dead: 'secondary_pending' },
  requeued_unanswered: { dead: 'primary_unavailable' },
  // An operator settles a dead serial create whose key nobody learnt (no replay can find its row) once
  // reconciliation has dealt with the row, if it landed: never acknowledged, so abandoned (POST .../abandon).
  abandoned_by_operator: { dead: 'abandoned' },
};

/** The status `event` moves an operation in `status` to, or null when the event is not allowed there. */
export function nextStatus(status: OperationStatus, event: OperationEvent): OperationStatus | null {
  return TRANSITIONS[event][status] ?? null;
}

/** The statuses `event` may be applied in. */
export function statusesAccepting(event: OperationEvent): OperationStatus[] {
  return Object.keys(TRANSITIONS[event]) as OperationStatus[];
}

/**
 * Statuses a flip of the primary waits out for operations claimed under an older version: in flight, acknowledged
 * but not yet on the secondary, or of unknown outcome (it may have landed on the old primary only).
 */
export const BARRIER_STATUSES: readonly OperationStatus[] = ['pending', 'primary_done', 'secondary_pending', 'primary_unavailable'];

/**
 * Statuses an operation can still move out of (or, `dead`, waits for an operator): the ledger's generated column
 * `open` and the indexes on it (migration 20261130150000_ledger_open_flag.sql) name the same list. A query for these
 * says `open` too, so PostgreSQL can use those indexes.
 */
export const OPEN_STATUSES: readonly OperationStatus[] = [...BARRIER_STATUSES, 'dead'];

/** The primary holds the write (a dead one when it has a result): a retry gets the first answer. */
export const PRIMARY_HOLDS_STATUSES: readonly OperationStatus[] = ['primary_done', 'applied', 'secondary_pending', 'dead'];

export type RetryAnswer = 'first_answer' | 'in_progress' | 'same_refusal' | 'run_again' | 'refused';

/**
 * How a retry of an operation (same opId) is answered (PROTOCOL.md, Retries). `primaryAnswered`: the ledger holds
 * the primary's answer (its result). A dead operation without one gave up while its outcome was unknown: it may
 * be on no store, so it runs again like one of unknown outcome, never answered with the first answer of nothing.
 */
export function retryAnswer(status: OperationStatus, primaryAnswered: boolean): RetryAnswer {
  if (status === 'dead') return primaryAnswered ? 'first_answer' : 'run_again';
  if (PRIMARY_HOLDS_STATUSES.includes(status)) return 'first_answer';
  if (statusesAccepting('retried').includes(status)) return 'run_again';
  if (status === 'pending') return 'in_progress';
  if (status === 'rejected') return 'same_refusal';
  return 'refused';
}

export function isOperationStatus(value: string): value is OperationStatus {
  return (OPERATION_STATUSES as readonly string[]).includes(value);
}

/** An event refused because the operation is in a status that does not accept it (e.g. settled meanwhile). */
export class LedgerTransitionError extends Error {
  constructor(
    readonly opId: string,
    readonly status: OperationStatus | 'missing',
    readonly event: OperationEvent,
  ) {
    super(
      status === 'missing'
        ? `operation ${opId} is not in the ledger (event ${event})`
        : `operation ${opId} is ${status}; ${event} applies only to ${statusesAccepting(event).join(', ')}`,
    );
    this.name = 'LedgerTransitionError';
  }
}
