import { compareResults, primaryKeyOf, type EntityDefinition, type KeyRange, type Row, type RowKey } from '@dualwrite/stores';
import { compareKeys, keyText } from './key-order';
import type { ReconcileSide } from './reconcile.types';

export interface SegmentRowsOptions {
  batchSize: number;
  ignoreFields?: readonly string[];
}

/**
 * Walks the rows of one key range on both sides at once, in key order (a merge join: at most a page of each
 * side in memory), and returns the keys whose rows differ or that one side lacks, with the rows read.
 * These are candidates only: a re-check by key decides what is reported (a store whose order is not the
 * reconcile order, or a write in between, shows here as a candidate and is cleared there).
 */
export async function differingKeysOfRange(
  entity: EntityDefinition,
  primary: ReconcileSide,
  secondary: ReconcileSide,
  range: KeyRange,
  options: SegmentRowsOptions,
): Promise<{ keys: Map<string, RowKey>; rowsRead: number }> {
  const keys = new Map<string, RowKey>();
  const left = cursor(primary.stream(entity, { range, batchSize: options.batchSize }));
  const right = cursor(secondary.stream(entity, { range, batchSize: options.batchSize }));
  let rowsRead = 0;
  const note = (row: Row): void => {
    const key = primaryKeyOf(entity, row);
    if (key !== undefined) keys.set(keyText(entity, key), key);
  };
  let a = await left.next();
  let b = await right.next();
  while (a !== undefined || b !== undefined) {
    const order = a === undefined ? 1 : b === undefined ? -1 : compareKeys(entity, keyOf(entity, a), keyOf(entity, b));
    if (order < 0 && a !== undefined) {
      note(a);
      rowsRead += 1;
      a = await left.next();
    } else if (order > 0 && b !== undefined) {
      note(b);
      rowsRead += 1;
      b = await right.next();
    } else if (a !== undefined && b !== undefined) {
      if (!compareResults(entity, a, b, { ignoreFields: options.ignoreFields }).equal) note(a);
      rowsRead += 2;
      a = await left.next();
      b = await right.next();
    }
  }
  return { keys, rowsRead };
}

function keyOf(entity: EntityDefinition, row: Row): RowKey {
  const key = primaryKeyOf(entity, row);
  if (key === undefined) throw new Error(`A ${entity.name} row without its primary key "${entity.primaryKey}" was read.`);
  return key;
}

function cursor(rows: AsyncIterable<Row>): { next(): Promise<Row | undefined> } {
  const iterator = rows[Symbol.asyncIterator]();
  return {
    async next() {
      const step = await iterator.next();
      return step.done ? undefined : step.value;
    },
  };
}
