import { canonicalRowText, primaryKeyOf, type EntityDefinition, type KeyRange, type Row, type RowKey } from '@dualwrite/stores';
import { compareKeys, keyText } from './key-order';
import type { RangeRowsSource, ReconcileSide, RowDigestSource } from './reconcile.types';

export interface SegmentRowsOptions {
  batchSize: number;
}

/** Keys whose rows differ or that one side lacks (candidates for the re-check), and the rows read to learn it. */
export interface DifferingKeys {
  keys: Map<string, RowKey>;
  rowsRead: number;
}

/**
 * Walks the rows of one key range on both sides at once, in key order (a merge join: at most a page of each
 * side in memory), and returns the keys whose rows differ or that one side lacks, with the rows read.
 * These are candidates only: a re-check by key decides what is reported (a store whose order is not the
 * reconcile order, or a write in between, shows here as a candidate and is cleared there).
 */
export function differingKeysOfRange(
  entity: EntityDefinition,
  primary: ReconcileSide,
  secondary: ReconcileSide,
  range: KeyRange,
  options: SegmentRowsOptions,
): Promise<DifferingKeys> {
  return differingKeys(
    entity,
    primary.stream(entity, { range, batchSize: options.batchSize }),
    secondary.stream(entity, { range, batchSize: options.batchSize }),
  );
}

/**
 * The same for many disjoint ranges at once: one query per side reads the rows of all of them (both sides at the
 * same time), then one merge walks both lists; the ranges are disjoint, so key order across them is one order.
 */
export async function differingKeysOfRanges(
  entity: EntityDefinition,
  primary: RangeRowsSource,
  secondary: RangeRowsSource,
  ranges: readonly KeyRange[],
): Promise<DifferingKeys> {
  const [left, right] = await Promise.all([primary.rowsOfRanges(entity, ranges), secondary.rowsOfRanges(entity, ranges)]);
  return differingKeys(entity, left, right);
}

/**
 * The same by row digests where both sides give them (two SQL readers): one query per side for the keys and digests
 * of the rows of all ranges, then one merge; a key whose digests differ is a candidate as a row whose text differs is.
 */
export async function differingKeysOfRangeDigests(
  entity: EntityDefinition,
  primary: RowDigestSource,
  secondary: RowDigestSource,
  ranges: readonly KeyRange[],
): Promise<DifferingKeys> {
  const [left, right] = await Promise.all([primary.rowDigestsOfRanges(entity, ranges), secondary.rowDigestsOfRanges(entity, ranges)]);
  const keys = new Map<string, RowKey>();
  const note = (key: RowKey): void => void keys.set(keyText(entity, key), key);
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const order = i === left.length ? 1 : j === right.length ? -1 : compareKeys(entity, left[i].key, right[j].key);
    if (order < 0) note(left[i++].key);
    else if (order > 0) note(right[j++].key);
    else {
      if (left[i].digest !== right[j].digest) note(left[i].key);
      i += 1;
      j += 1;
    }
  }
  return { keys, rowsRead: left.length + right.length };
}

/** Merge-compares two row sequences, each in key order. */
async function differingKeys(
  entity: EntityDefinition,
  primaryRows: AsyncIterable<Row> | Iterable<Row>,
  secondaryRows: AsyncIterable<Row> | Iterable<Row>,
): Promise<DifferingKeys> {
  const keys = new Map<string, RowKey>();
  const left = cursor(primaryRows);
  const right = cursor(secondaryRows);
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
      if (!sameCanonicalRow(entity, a, b)) note(a);
      rowsRead += 2;
      a = await left.next();
      b = await right.next();
    }
  }
  return { keys, rowsRead };
}

/**
 * Whether two rows have the same canonical text (every field, as the checksums render it). Stricter than the
 * dual-write comparison, which the re-check applies (ignored fields, the values it reports), and much cheaper:
 * it builds no report values, and values that are plainly the same (identical, the same instant, the same JSON
 * text) are not rendered at all. A value a field's type cannot hold makes the rows differ.
 */
function sameCanonicalRow(entity: EntityDefinition, primary: Row, secondary: Row): boolean {
  for (const field of Object.keys(entity.fields)) {
    if (!plainlySame(primary[field], secondary[field])) {
      try {
        return canonicalRowText(entity, primary) === canonicalRowText(entity, secondary);
      } catch {
        return false;
      }
    }
  }
  return true;
}

function plainlySame(left: unknown, right: unknown): boolean {
  if (left === right || (left == null && right == null)) return true;
  if (left instanceof Date || right instanceof Date) return left instanceof Date && right instanceof Date && left.getTime() === right.getTime();
  return typeof left === 'object' && typeof right === 'object' && JSON.stringify(left) === JSON.stringify(right);
}

function keyOf(entity: EntityDefinition, row: Row): RowKey {
  const key = primaryKeyOf(entity, row);
  if (key === undefined) throw new Error(`A ${entity.name} row without its primary key "${entity.primaryKey}" was read.`);
  return key;
}

function cursor(rows: AsyncIterable<Row> | Iterable<Row>): { next(): Promise<Row | undefined> } {
  if (Symbol.asyncIterator in rows) {
    const iterator = rows[Symbol.asyncIterator]();
    return {
      async next() {
        const step = await iterator.next();
        return step.done ? undefined : step.value;
      },
    };
  }
  const iterator = rows[Symbol.iterator]();
  return {
    async next() {
      const step = iterator.next();
      return step.done ? undefined : step.value;
    },
  };
}
