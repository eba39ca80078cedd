import type { EntityDefinition, FieldDefinition, Row, RowKey } from '../entity/entity.types';
import { jsonbText, toCanonicalValue } from '../store/canonical-row';
import { StoreInvalidError } from '../store/store-errors';
import type { KeyRange } from '../store/store.types';

// The in-memory store's rows: its write sets, copies and the canonical values and keys it stores.

export type Table = Map<RowKey, Row>;

/** The writes of one statement: reads see them, the store sees nothing of them until commit. */
export class WriteSet {
  private readonly changes = new Map<string, Map<RowKey, Row | null>>();
  /** Rows this statement deleted, to check `no action` foreign keys at its end. */
  readonly removed: { entity: string; row: Row }[] = [];

  constructor(
    private readonly tables: Map<string, Table>,
    /** CURRENT_TIMESTAMP: one value per statement. */
    readonly now: Date,
  ) {}

  get(entity: string, key: RowKey): Row | undefined {
    const changed = this.changes.get(entity);
    if (changed?.has(key)) return changed.get(key) ?? undefined;
    return this.tables.get(entity)?.get(key);
  }

  *entries(entity: string): Generator<[RowKey, Row]> {
    const changed = this.changes.get(entity);
    for (const entry of this.tables.get(entity) ?? []) if (!changed?.has(entry[0])) yield entry;
    for (const [key, row] of changed ?? []) if (row) yield [key, row];
  }

  put(entity: string, key: RowKey, row: Row): void {
    this.changesOf(entity).set(key, row);
  }

  remove(entity: string, key: RowKey, row: Row): void {
    this.changesOf(entity).set(key, null);
    this.removed.push({ entity, row });
  }

  commit(): void {
    for (const [entity, changed] of this.changes) {
      let table = this.tables.get(entity);
      if (!table) this.tables.set(entity, (table = new Map()));
      for (const [key, row] of changed) {
        if (row) table.set(key, row);
        else table.delete(key);
      }
    }
  }

  private changesOf(entity: string): Map<RowKey, Row | null> {
    let changed = this.changes.get(entity);
    if (!changed) this.changes.set(entity, (changed = new Map()));
    return changed;
  }
}

const UUID_TEXT = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/** PostgreSQL's uuid input forms (hyphens optional, braces) → the canonical lowercase text. */
export function canonicalUuid(value: unknown): string {
  if (typeof value !== 'string' || !UUID_TEXT.test(value)) {
    throw new Error(`invalid input syntax for type uuid: ${JSON.stringify(value)}`);
  }
  const hex = value.replace(/[^0-9a-f]/gi, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return jsonbText(a) === jsonbText(b);
  return false;
}

export function copyValue(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime());
  if (typeof value === 'object' && value !== null) return structuredClone(value);
  return value;
}

export function copyRow(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([field, value]) => [field, copyValue(value)]));
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `work` now and replays its outcome later: inputs are copied at the call, their errors reported in turn. */
export function settle<T>(work: () => T): () => T {
  try {
    const value = work();
    return () => value;
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

export interface KeyBounds {
  from?: RowKey;
  to?: RowKey;
  after?: RowKey;
}

/** A row as sent → stored values (canonical, copied); unknown fields and malformed values are invalid. */
export function toStored(store: string, entity: EntityDefinition, row: Row): Row {
  const stored: Row = {};
  for (const [field, value] of Object.entries(row)) {
    const definition = entity.fields[field];
    if (!definition) throw new StoreInvalidError(store, `entity "${entity.name}" has no field "${field}"`, '42703');
    if (value !== undefined) stored[field] = canonicalValue(store, entity, field, definition, value);
  }
  return stored;
}

export function canonicalValue(store: string, entity: EntityDefinition, field: string, definition: FieldDefinition, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  try {
    switch (definition.type) {
      case 'uuid':
        return canonicalUuid(value);
      case 'string': {
        const text = toCanonicalValue(field, 'string', value) as string;
        if (text.includes('\u0000')) throw new Error('text cannot contain the NUL character');
        return text;
      }
      case 'int': {
        const number = toCanonicalValue(field, 'int', value) as number;
        if (!Number.isSafeInteger(number)) throw new Error(`${number} is out of range`);
        return number;
      }
      case 'json':
        // Rendered as jsonb does and parsed back: a deep copy with jsonb's key order and numbers.
        return JSON.parse(jsonbText(toCanonicalValue(field, 'json', value))) as unknown;
      case 'timestamp':
        return copyValue(toCanonicalValue(field, 'timestamp', value));
      default:
        return toCanonicalValue(field, definition.type, value);
    }
  } catch (error) {
    throw new StoreInvalidError(store, `${entity.name}.${field}: ${messageOf(error)}`, '22P02', { cause: error });
  }
}

export function keyOf(store: string, entity: EntityDefinition, id: unknown): RowKey {
  const definition = entity.fields[entity.primaryKey];
  if (!definition || !['uuid', 'int', 'string'].includes(definition.type)) {
    throw new StoreInvalidError(store, `entity "${entity.name}": primary key "${entity.primaryKey}" must be a uuid, int or string field`);
  }
  const key = canonicalValue(store, entity, entity.primaryKey, definition, id);
  if (key === null) throw new StoreInvalidError(store, `${entity.name}: a key cannot be null`);
  return key as RowKey;
}

export function storedKey(entity: EntityDefinition, row: Row): RowKey {
  return row[entity.primaryKey] as RowKey;
}

export function boundsOf(store: string, entity: EntityDefinition, range: KeyRange = {}, after?: RowKey): KeyBounds {
  const bound = (value: RowKey | undefined): RowKey | undefined => (value === undefined ? undefined : keyOf(store, entity, value));
  return { from: bound(range.from), to: bound(range.to), after: bound(after) };
}

/** uuid: bytewise, which its lowercase text shares; int: numeric; text: bytewise UTF-8 (the C collation). */
export function keyComparator(entity: EntityDefinition): (a: RowKey, b: RowKey) => number {
  switch (entity.fields[entity.primaryKey]?.type) {
    case 'int':
      return (a, b) => Number(a) - Number(b);
    case 'string':
      return (a, b) => Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
    default:
      return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  }
}
