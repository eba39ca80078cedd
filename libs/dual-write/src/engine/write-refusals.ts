import { ContractViolationError, StoreConflictError, StoreError, StoreNotFoundError, type EntityDefinition, type Row } from '@dualwrite/stores';
import type { OperationPlan } from './operation-plan';

/** The store answered and said no (not found, conflict, invalid payload): nothing was written anywhere. */
export function isRefusal(error: unknown): boolean {
  return error instanceof ContractViolationError || (error instanceof StoreError && error.kind !== 'unavailable');
}

/** The fields of `row` that `like` names, so a stored row (with timestamps) compares with a payload. */
export function pickFields(row: Row, like: Row): Row {
  return Object.fromEntries(Object.keys(like).filter((field) => field in row).map((field) => [field, row[field]]));
}

/** The row without the fields the database or the engine sets (generated: timestamps, serial keys). */
export function withoutGeneratedFields(entity: EntityDefinition, row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([field]) => !entity.fields[field]?.generated));
}

/** The refusal a retry of a rejected operation gets: the same kind of error as the first attempt. */
export function rejectionOf(plan: OperationPlan, lastError: string | null): Error {
  const message = `operation ${plan.opId} was rejected before: ${lastError ?? 'unknown error'}`;
  if (lastError?.startsWith('StoreNotFoundError')) return new StoreNotFoundError(plan.primary.name, message);
  if (lastError?.startsWith('StoreConflictError')) return new StoreConflictError(plan.primary.name, message);
  return new ContractViolationError(plan.entity.name, [{ path: 'opId', message }]);
}
