import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import { ContractViolationError, primaryKeyOf, validateRow } from '@dualwrite/stores';
import type { EntityDefinition, Row, RowKey } from '@dualwrite/stores';
import { stampTimestamps } from './write-timestamps';

export class PrimaryKeyRequiredError extends ContractViolationError {}

/**
 * A create's row, checked, with its timestamps and (uuid keys) its key: the operation id when the request has one, so
 * a retry of it (same operation id) writes the same row and finds its first attempt's, never a second one.
 */
export function validCreateRow(entity: EntityDefinition, payload: unknown, opId?: string): Row {
  const row = stampTimestamps(entity, asObject(entity, payload), 'create');
  if (entity.keyStrategy === 'serial' && row[entity.primaryKey] !== undefined) {
    throw new ContractViolationError(entity.name, [{ path: entity.primaryKey, message: 'assigned by the database (serial key); leave it out' }]);
  }
  if (entity.keyStrategy === 'uuid' && row[entity.primaryKey] === undefined) row[entity.primaryKey] = opId ?? uuidv7();
  return validateRow(entity, row, 'full');
}

/**
 * A batch's rows checked like upserts (issues name the row's index), each with its key. A uuid key the rows leave
 * out is derived from the operation id and the row's index when the request has one (UUID v5), so a retry of the
 * batch names the same rows.
 */
export function validBatchRows(entity: EntityDefinition, payloads: unknown[], opId?: string): { rows: Row[]; keys: RowKey[] } {
  if (!Array.isArray(payloads) || payloads.length === 0) {
    throw new ContractViolationError(entity.name, [{ path: '', message: 'a batch needs a non-empty list of rows' }]);
  }
  const rows = payloads.map((payload, index) => {
    const row = stampTimestamps(entity, asObject(entity, payload), 'change');
    if (entity.keyStrategy === 'uuid' && row[entity.primaryKey] === undefined) row[entity.primaryKey] = opId ? uuidv5(String(index), opId) : uuidv7();
    try {
      return validateRow(entity, row, 'full');
    } catch (error) {
      if (!(error instanceof ContractViolationError)) throw error;
      throw new ContractViolationError(entity.name, error.issues.map((issue) => ({ ...issue, path: `[${index}].${issue.path}` })));
    }
  });
  const keys = rows.map((row, index) => {
    const key = primaryKeyOf(entity, row);
    if (key === undefined) throw new PrimaryKeyRequiredError(entity.name, [{ path: `[${index}].${entity.primaryKey}`, message: 'is required in a batch' }]);
    return key;
  });
  return { rows, keys };
}

function asObject(entity: EntityDefinition, payload: unknown): Row {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ContractViolationError(entity.name, [{ path: '', message: 'must be a JSON object' }]);
  }
  return payload as Row;
}
