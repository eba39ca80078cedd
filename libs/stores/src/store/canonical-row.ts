import { createHash } from 'node:crypto';
import type { EntityDefinition, FieldType, Row, RowKey } from '../entity/entity.types';
import type { RangeChecksum } from './store.types';
import { StoreInvalidError } from './store-errors';

/**
 * The canonical row shape every store returns, and the canonical row *text* the range checksums hash.
 * The text must match, byte for byte, what `buildRangeChecksumSql` computes inside PostgreSQL.
 */

/** Separates the fields of one row in the canonical text (ASCII unit separator). */
export const CANONICAL_FIELD_SEPARATOR = String.fromCharCode(31);
/** Stands for SQL NULL in the canonical text (as in PostgreSQL's COPY text format). */
export const CANONICAL_NULL = '\\N';

export class CanonicalValueError extends Error {
  constructor(readonly field: string, readonly fieldType: FieldType, value: unknown) {
    super(`Field "${field}" (${fieldType}) cannot hold ${describeValue(value)}.`);
    this.name = 'CanonicalValueError';
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 60))}`;
  if (value instanceof Date) return 'an invalid Date';
  return `a value of type ${value === null ? 'null' : typeof value}`;
}

/** Decimal text in plain notation without trailing zeros: "100.00" → "100", "-12.50" → "-12.5", "1e-7" → "0.0000001". */
export function plainDecimalText(text: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new Error(`"${text}" is not a decimal number.`);
  }
  const [, sign, integerDigits, fractionDigits = '', exponentText] = match;
  const exponent = exponentText ? Number(exponentText) : 0;
  // Move the decimal point `exponent` places over the digit string.
  const digits = integerDigits + fractionDigits;
  const pointAt = integerDigits.length + exponent;
  let integerPart: string;
  let fractionPart: string;
  if (pointAt <= 0) {
    integerPart = '0';
    fractionPart = '0'.repeat(-pointAt) + digits;
  } else if (pointAt >= digits.length) {
    integerPart = digits + '0'.repeat(pointAt - digits.length);
    fractionPart = '';
  } else {
    integerPart = digits.slice(0, pointAt);
    fractionPart = digits.slice(pointAt);
  }
  integerPart = integerPart.replace(/^0+(?=\d)/, '');
  fractionPart = fractionPart.replace(/0+$/, '');
  const magnitude = fractionPart ? `${integerPart}.${fractionPart}` : integerPart;
  const isZero = /^0(\.0*)?$/.test(magnitude);
  return sign === '-' && !isZero ? `-${magnitude}` : magnitude;
}

function hasToFixed(value: unknown): value is { toFixed(): string } {
  return typeof value === 'object' && value !== null && typeof (value as { toFixed?: unknown }).toFixed === 'function';
}

/** Converts one driver value (pg, Prisma, PostgREST JSON) to the canonical value of its field type. */
export function toCanonicalValue(field: string, type: FieldType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'uuid':
      if (typeof value === 'string') return value.toLowerCase();
      break;
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
      break;
    case 'decimal':
      // Prisma's Decimal (decimal.js) prints plain notation through toFixed(); pg and PostgREST send strings.
      if (typeof value === 'string') return plainDecimalText(value);
      if (typeof value === 'number' && Number.isFinite(value)) return plainDecimalText(String(value));
      if (typeof value === 'bigint') return value.toString();
      if (hasToFixed(value)) return plainDecimalText(value.toFixed());
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'json':
      if (typeof value === 'string') return JSON.parse(value) as unknown;
      return value;
    case 'timestamp':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
      if (typeof value === 'string' || typeof value === 'number') {
        const date = new Date(value);
        if (!Number.isNaN(date.getTime())) return date;
      }
      break;
  }
  throw new CanonicalValueError(field, type, value);
}

/** Canonical row from a driver row keyed by domain field names; fields the row lacks are left out. */
export function toCanonicalRow(entity: EntityDefinition, driverRow: Row): Row {
  const row: Row = {};
  for (const [field, definition] of Object.entries(entity.fields)) {
    if (field in driverRow) row[field] = toCanonicalValue(field, definition.type, driverRow[field]);
  }
  return row;
}

/** Canonical row from a SQL row keyed by column names (pg, PostgREST). */
export function toCanonicalRowFromColumns(entity: EntityDefinition, columnRow: Row): Row {
  const row: Row = {};
  for (const [field, definition] of Object.entries(entity.fields)) {
    if (definition.column in columnRow) row[field] = toCanonicalValue(field, definition.type, columnRow[definition.column]);
  }
  return row;
}

/** Domain-named values → column-named values, for stores addressed by column (PostgREST, pg). */
export function toColumnRow(entity: EntityDefinition, row: Row): Row {
  const columns: Row = {};
  for (const [field, value] of Object.entries(row)) {
    const definition = entity.fields[field];
    if (!definition) throw new Error(`Entity "${entity.name}" has no field "${field}".`);
    if (value === undefined) continue;
    columns[definition.column] = value instanceof Date ? value.toISOString() : value;
  }
  return columns;
}

export function primaryKeyOf(entity: EntityDefinition, row: Row): RowKey | undefined {
  const key = row[entity.primaryKey];
  if (typeof key === 'string' || typeof key === 'number') return key;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Canonical text

/** Plain decimal notation of a JavaScript number, as PostgreSQL's numeric prints it (no exponent). */
function jsonNumberText(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`JSON cannot hold the number ${value}.`);
  return plainDecimalText(String(value));
}

/** jsonb orders object keys by their UTF-8 length, then bytewise. */
function compareJsonbKeys(a: string, b: string): number {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length - right.length || Buffer.compare(left, right);
}

/** Renders plain data exactly as PostgreSQL's `jsonb::text` does: `{"a": 1, "b": [1, 2]}`. */
export function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return jsonNumberText(value);
  // JSON.stringify escapes strings the way PostgreSQL's escape_json does (\" \\ \b \f \n \r \t, \u00xx).
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => jsonbText(item)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    entries.sort(([a], [b]) => compareJsonbKeys(a, b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${jsonbText(item)}`).join(', ')}}`;
  }
  throw new Error(`JSON cannot hold a value of type ${typeof value}.`);
}

/** One field's canonical text; `\N` for NULL. */
export function canonicalFieldText(field: string, type: FieldType, value: unknown): string {
  const canonical = toCanonicalValue(field, type, value);
  if (canonical === null) return CANONICAL_NULL;
  switch (type) {
    case 'uuid':
    case 'string':
    case 'decimal':
      return String(canonical);
    case 'int':
      return String(canonical);
    case 'boolean':
      return canonical ? 'true' : 'false';
    case 'json':
      return jsonbText(canonical);
    case 'timestamp':
      return String((canonical as Date).getTime());
  }
}

/** The text one row hashes to: every field in the order of `entity.fields`, joined by chr(31). */
export function canonicalRowText(entity: EntityDefinition, row: Row): string {
  return Object.entries(entity.fields)
    .map(([field, definition]) => canonicalFieldText(field, definition.type, row[field]))
    .join(CANONICAL_FIELD_SEPARATOR);
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * Range checksum computed in JavaScript, for stores that cannot push the hashing down.
 * Feed rows in primary-key order; the result equals the SQL digest over the same rows.
 */
export class RangeChecksumAccumulator {
  private readonly digest = createHash('md5');
  private rows = 0;

  constructor(private readonly entity: EntityDefinition) {}

  add(row: Row): void {
    this.digest.update(md5Hex(canonicalRowText(this.entity, row)), 'utf8');
    this.rows += 1;
  }

  /** Call once, after the last row. */
  result(): RangeChecksum {
    return { count: this.rows, checksum: this.digest.digest('hex') };
  }
}

export function checksumOfRows(entity: EntityDefinition, rowsInKeyOrder: Iterable<Row>): RangeChecksum {
  const accumulator = new RangeChecksumAccumulator(entity);
  for (const row of rowsInKeyOrder) accumulator.add(row);
  return accumulator.result();
}

/** An update's patch without its primary key; a patch that would change the key is refused. */
export function patchWithoutKey(store: string, entity: EntityDefinition, id: RowKey, patch: Row): Row {
  const { [entity.primaryKey]: key, ...rest } = patch;
  if (key !== undefined && key !== id) {
    throw new StoreInvalidError(store, `update of ${entity.name} ${id} cannot change the primary key to ${String(key)}`);
  }
  return rest;
}
