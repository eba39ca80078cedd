import { StoreConflictError, StoreNotFoundError, compareResults, type Row, type RowKey } from '@dualwrite/stores';
import type { WriteOperation } from '../ledger/operation-ledger';
import type { OperationPlan } from './operation-plan';
import type { StoreCaller } from './store-caller';
import { timed, type Timed } from './timed';
import { pickFields, withoutGeneratedFields } from './write-refusals';

/**
 * A write run again after an ambiguous first attempt: a create that meets a conflict with the row the payload
 * describes, or a delete that finds nothing, is the first attempt having landed, and so a success.
 */
export async function earlierAttemptLanded(
  storeCaller: StoreCaller,
  plan: OperationPlan,
  operation: WriteOperation,
  keys: RowKey[],
  failed: Timed<unknown>,
  payload: unknown,
): Promise<Timed<unknown>> {
  if (failed.ok) return failed;
  const key = keys[0];
  // A delete run again finds nothing: the first attempt removed the row, which is what it asked for.
  if (operation === 'delete' && failed.error instanceof StoreNotFoundError && key !== undefined) {
    return { ok: true, value: { [plan.entity.primaryKey]: key }, latencyMs: failed.latencyMs };
  }
  if (operation !== 'create' || !(failed.error instanceof StoreConflictError) || key === undefined) return failed;
  const existing = await timed(() => storeCaller.guarded(plan.primary, () => plan.primary.get(plan.entity, key)));
  if (!existing.ok || !existing.value) return failed;
  // Timestamps are stamped again for the retry: compare what the caller wrote, not what the database set.
  const written = withoutGeneratedFields(plan.entity, payload as Row);
  const comparison = compareResults(plan.entity, pickFields(existing.value, written), written);
  return comparison.equal ? { ok: true, value: existing.value, latencyMs: failed.latencyMs + existing.latencyMs } : failed;
}
