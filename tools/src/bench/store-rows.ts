import { checksumOfRows, type EntityDefinition, type RangeChecksum, type Row, type RowKey, type StorePlugin } from '@dualwrite/stores';

/** Keys per findManyByIds call. */
const CHUNK = 500;

/** The rows a store holds among `sortedKeys`, in key order (each chunk in key order). */
export async function rowsOf(store: StorePlugin, entity: EntityDefinition, sortedKeys: RowKey[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (let start = 0; start < sortedKeys.length; start += CHUNK) rows.push(...(await store.findManyByIds(entity, sortedKeys.slice(start, start + CHUNK))));
  return rows;
}

/** Count and checksum of rows each store returned for the same sorted keys; equal means equal rows, field for field. */
export function compareRows(entity: EntityDefinition, rowsA: Row[], rowsB: Row[]): StoreComparison {
  const a = checksumOfRows(entity, rowsA);
  const b = checksumOfRows(entity, rowsB);
  return { a, b, equal: a.count === b.count && a.checksum === b.checksum };
}

export interface StoreComparison {
  a: RangeChecksum;
  b: RangeChecksum;
  /** Same count and same checksum of the canonical rows. */
  equal: boolean;
}

/**
 * Count and checksum of the rows of `keys` (uuid strings: their text order is PostgreSQL's uuid order) on both
 * stores, over the canonical row text every store returns, so equal checksums mean equal rows, field for field.
 */
export async function compareStores(storeA: StorePlugin, storeB: StorePlugin, entity: EntityDefinition, keys: string[]): Promise<StoreComparison> {
  const sorted = [...new Set(keys)].sort();
  const [rowsA, rowsB] = await Promise.all([rowsOf(storeA, entity, sorted), rowsOf(storeB, entity, sorted)]);
  return compareRows(entity, rowsA, rowsB);
}
