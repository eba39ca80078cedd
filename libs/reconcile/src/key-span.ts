import type { EntityDefinition, RowKey } from '@dualwrite/stores';
import { keyTypeOf } from './key-order';

/** How many rows a side holds in a range, and its smallest and largest key there (undefined when empty). */
export interface KeySpan {
  count: number;
  /** `count` is the planner's estimate, not a count: good for sizing parts, not for a report. */
  estimated?: boolean;
  min?: RowKey;
  max?: RowKey;
}

/** The span both sides' rows fall in: the smaller minimum and the larger maximum. */
export function unionSpan(entity: EntityDefinition, spans: readonly KeySpan[]): { min?: RowKey; max?: RowKey } {
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const span of spans) {
    if (span.min !== undefined) {
      const value = keyToBigInt(entity, span.min);
      if (min === undefined || value < min) min = value;
    }
    if (span.max !== undefined) {
      const value = keyToBigInt(entity, span.max);
      if (max === undefined || value > max) max = value;
    }
  }
  return min === undefined || max === undefined ? {} : { min: bigIntToKey(entity, min), max: bigIntToKey(entity, max) };
}

/** Keys of type int or uuid can be cut at equal widths of the key space; text keys cannot (no arithmetic). */
export function hasKeyArithmetic(entity: EntityDefinition): boolean {
  return keyTypeOf(entity) !== 'string';
}

/**
 * Keys that cut [min, max] into `parts` parts of equal width in key space (ints by value, uuids as 128-bit
 * numbers), ascending, distinct, each above `min` and at most `max`: no query names them. The parts hold about
 * equal row counts when the keys spread evenly (random uuids, dense serial ids); a part that holds many more rows
 * and differs is split again at its own keys.
 */
export function evenKeyBoundaries(entity: EntityDefinition, min: RowKey, max: RowKey, parts: number): RowKey[] {
  if (!Number.isInteger(parts) || parts < 2) throw new Error(`A range is split into at least 2 parts, got ${parts}.`);
  const low = keyToBigInt(entity, min);
  const high = keyToBigInt(entity, max);
  if (high <= low) return [];
  // low + ⌊width · i / parts⌋ = low + step · i + ⌊rest · i / parts⌋, the last term exact in a double (rest < parts).
  const width = high - low + 1n;
  const step = width / BigInt(parts);
  const rest = Number(width % BigInt(parts));
  const boundaries: RowKey[] = [];
  let previous = low;
  let stepped = low;
  for (let index = 1; index < parts; index += 1) {
    stepped += step;
    const boundary = stepped + BigInt(Math.floor((rest * index) / parts));
    if (boundary <= previous || boundary > high) continue;
    boundaries.push(bigIntToKey(entity, boundary));
    previous = boundary;
  }
  return boundaries;
}

function keyToBigInt(entity: EntityDefinition, key: RowKey): bigint {
  const type = keyTypeOf(entity);
  if (type === 'int') return BigInt(key);
  if (type === 'uuid') {
    const hex = String(key).replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`Entity "${entity.name}": "${String(key)}" is not a uuid.`);
    return BigInt(`0x${hex}`);
  }
  throw new Error(`Entity "${entity.name}": text keys have no arithmetic.`);
}

function bigIntToKey(entity: EntityDefinition, value: bigint): RowKey {
  if (keyTypeOf(entity) === 'int') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  const hex = value.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
