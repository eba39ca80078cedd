import type { EntityDefinition, Row, RowKey } from '@dualwrite/stores';
import type { OperationRecord, WriteOperation } from '../ledger/operation-ledger';

/** The write a request with an operation id asks for, to compare with the one the ledger holds under that id. */
export interface RequestedWrite {
  entity: EntityDefinition;
  operation: WriteOperation;
  /** Empty for a serial create (the database assigns its key). */
  keys: RowKey[];
  payload: unknown;
}

/**
 * Why a request reusing an operation id is not a retry of the write recorded under it (another entity, kind of
 * write, key or payload), or null when it is the same write. A retry gets the first write's answer or runs it
 * again; anything else reusing the id would get an answer for a write that is on no store. The timestamps the
 * engine stamps on each attempt (generated timestamp fields) are not compared; a serial create's key only once both
 * have one.
 */
export function retryMismatch(recorded: Pick<OperationRecord, 'entity' | 'operation' | 'entityIds' | 'payload'>, requested: RequestedWrite): string | null {
  const first = `a ${recorded.operation} of ${recorded.entity}${recorded.entityIds.length > 0 ? ` ${recorded.entityIds.join(', ')}` : ''}`;
  if (recorded.entity !== requested.entity.name || recorded.operation !== requested.operation) return `already used for ${first}`;
  const keys = requested.keys.map(String);
  if (keys.length > 0 && recorded.entityIds.length > 0 && !sameList(keys, recorded.entityIds)) return `already used for ${first}`;
  if (!samePayload(requested.entity, recorded.payload, requested.payload)) return `already used for ${first} with another payload`;
  return null;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

function samePayload(entity: EntityDefinition, recorded: unknown, requested: unknown): boolean {
  const comparable = (payload: unknown): unknown => {
    const plain = JSON.parse(JSON.stringify(payload ?? null)) as unknown;
    const rows = Array.isArray(plain) ? plain : [plain];
    return rows.map((row) => (row !== null && typeof row === 'object' ? sortedKeys(withoutStampedTimestamps(entity, row as Row)) : row));
  };
  return JSON.stringify(comparable(recorded)) === JSON.stringify(comparable(requested));
}

/** The row without the timestamps the engine stamps on each attempt (write-timestamps.ts), which a retry stamps anew. */
function withoutStampedTimestamps(entity: EntityDefinition, row: Row): Row {
  return Object.fromEntries(
    Object.entries(row).filter(([name]) => {
      const field = entity.fields[name];
      return !(field?.type === 'timestamp' && (field.generated || name === entity.versionField));
    }),
  );
}

function sortedKeys(row: Row): Row {
  return Object.fromEntries(
    Object.keys(row)
      .sort()
      .map((field) => {
        const value = row[field];
        return [field, value !== null && typeof value === 'object' && !Array.isArray(value) ? sortedKeys(value as Row) : value];
      }),
  );
}
