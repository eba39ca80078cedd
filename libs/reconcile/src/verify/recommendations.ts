import type { FieldDifference, Row } from '@dualwrite/stores';
import type { KeyLedger, LedgerOpView } from './verify.types';

/** What recommendConsistencyActions looks at. */
export interface ConsistencyFacts {
  entity: string;
  key: string;
  mode: string;
  /** Whether dual writes are on: only then is the secondary kept equal to the primary. */
  dual: boolean;
  primaryStore: string;
  secondaryStore: string;
  primaryRow: Row | null;
  secondaryRow: Row | null;
  differences: FieldDifference[];
  ledger: KeyLedger;
  /** The row's version field (updated-at), to start a backfill from. */
  versionField: string;
}

const BACKFILL_MARGIN_MS = 60_000;

function describe(op: LedgerOpView): string {
  return `op ${op.opId} (${op.operation}, ${op.status}, ${op.attempts} replay attempts${op.lastError ? `, last error: ${op.lastError.slice(0, 200)}` : ''})`;
}

/** A time a little before `at`, for `backfill-gap --since`. */
function sinceBefore(at: unknown): string | null {
  const time = at instanceof Date ? at.getTime() : typeof at === 'string' || typeof at === 'number' ? new Date(at).getTime() : Number.NaN;
  return Number.isFinite(time) ? new Date(time - BACKFILL_MARGIN_MS).toISOString() : null;
}

function backfillCommand(facts: ConsistencyFacts, at: unknown): string {
  const since = sinceBefore(at) ?? '<a time before the row was last written>';
  return `npm run backfill-gap -- --since=${since} --entity=${facts.entity}`;
}

function compensateCommand(facts: ConsistencyFacts): string {
  return `\`npm run reconcile-data -- --entity=${facts.entity}\` then \`npm run compensate-data -- --run=<its run id>\` (a dry run; add --apply to repair)`;
}

/**
 * The operator's next steps for one key, from both stores' rows and the ledger (a pure rule, tested case by case).
 * Open operations come first: while the ledger still owes the key, the difference is expected and the replay (or a
 * decision about a dead op) is what to act on; only a difference nothing in the ledger explains calls for a repair.
 */
export function recommendConsistencyActions(facts: ConsistencyFacts): string[] {
  const { entity, key, primaryStore, secondaryStore, primaryRow, secondaryRow, ledger } = facts;
  const consistent = facts.differences.length === 0;
  const actions: string[] = [];

  for (const op of ledger.dead) {
    actions.push(
      `${describe(op)} is dead: the replay gave up and ${secondaryStore} may lack its write. Once its cause is fixed, requeue it: ` +
        `\`POST /admin/replay/${op.opId}/requeue\` (the worker replays it through KeySync from ${primaryStore}; until then it refuses every flip of the primary), then check again. ` +
        `Or sync the key alone: \`${backfillCommand(facts, op.createdAt)}\`.`,
    );
  }
  if (!facts.dual && !consistent) {
    actions.push(
      `dual writes are off (${facts.mode}): ${secondaryStore} is not written, so it falls behind by design. ` +
        `Copy with \`npm run copy-data -- --entity=${entity}\` in phase 2 before relying on it.`,
    );
    return actions;
  }
  const pending = ledger.unsettled;
  if (pending.length > 0) {
    const owed = ledger.owed.map(describe);
    const inFlight = pending.filter((op) => op.status !== 'secondary_pending').map(describe);
    const what = consistent ? 'both stores agree now, but' : primaryRow && !secondaryRow ? `${secondaryStore} lacks it and` : 'the stores differ and';
    if (owed.length > 0) {
      actions.push(
        `${what} the ledger shows ${owed.join('; ')} owed to ${secondaryStore}: wait for the replay (worker, queue dw-replay; GET /admin/replay shows its depth), ` +
          `then check again. If it stays owed (worker down, Redis away), run \`${backfillCommand(facts, ledger.owed[ledger.owed.length - 1].createdAt)}\` or ${compensateCommand(facts)}.`,
      );
    }
    if (inFlight.length > 0) {
      actions.push(
        `${what} ${inFlight.join('; ')} ${inFlight.length === 1 ? 'is' : 'are'} still in flight or of unknown outcome: the sweep moves a stalled one on within 10 minutes and the replay syncs it; check again after.`,
      );
    }
    return actions;
  }
  if (consistent) return actions;

  const latest = ledger.latest[0];
  if (primaryRow && !secondaryRow) {
    actions.push(
      `${secondaryStore} lacks ${entity} ${key} and no operation on it is unsettled${latest ? ` (its latest, ${describe(latest)}, is settled)` : ' (the ledger has no write of it: written before dual writes or behind the module\'s back)'}: ` +
        `run \`${backfillCommand(facts, primaryRow[facts.versionField])}\` or ${compensateCommand(facts)}.`,
    );
    return actions;
  }
  if (!primaryRow && secondaryRow) {
    if (latest?.operation === 'delete') {
      actions.push(
        `missing on the primary (${primaryStore}) with a delete recorded (${describe(latest)}) but still on ${secondaryStore}: the ledger proves the delete, so a sync deletes it there. ` +
          `Run \`${backfillCommand(facts, latest.createdAt)}\` (KeySync deletes it with the ledger's proof).`,
      );
    } else {
      actions.push(
        `missing on the primary (${primaryStore}) and no delete of it is recorded${latest ? ` (its latest write is ${describe(latest)})` : ''}: ${secondaryStore} holds a row the primary does not (deleted outside the engine, or written to ${secondaryStore} directly). ` +
          `No tool deletes it without the ledger's proof: decide by hand whether to re-create it on the primary through the API or delete it on ${secondaryStore}.`,
      );
    }
    return actions;
  }
  const fields = facts.differences.map((difference) => difference.field ?? difference.path);
  actions.push(
    `the stores differ in ${fields.join(', ')} and no operation on ${entity} ${key} is unsettled (changed behind the module's back, or a lost sync): ` +
      `run \`${backfillCommand(facts, primaryRow?.[facts.versionField])}\` or ${compensateCommand(facts)}; both copy ${primaryStore}'s row through KeySync.`,
  );
  return actions;
}
