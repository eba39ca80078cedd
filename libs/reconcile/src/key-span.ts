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

/** Bytes of a uuid key that the SQL reads as the part number's window (3: an int4 in PostgreSQL, 2^24 steps). */
const UUID_WINDOW_BYTES = 3;
const INT8_MAX = (1n << 63n) - 1n;

/**
 * Cuts at equal widths of the key space that both sides compute per row by arithmetic (`SqlTableReader`), so no cut
 * key is built or sent for most parts: cut `i` (0-based, as in an array of boundaries) is `origin + (i + 1) · step`
 * in the window. An int key is its own window. A uuid's window is the 3 bytes after the bytes its span's smallest and
 * largest key share (`prefix`), every key between them shares them too; the cut keys end in zero bytes, so a key is
 * at or above a cut exactly when its window is. Keys outside the span (written since it was read) fall in the
 * first or the last part, as they would with the boundaries themselves.
 */
export class EvenKeyCuts {
  constructor(
    readonly keyType: 'int' | 'uuid',
    /** Hex of the leading bytes every key of the span shares (uuid; '' for ints). */
    readonly prefix: string,
    readonly origin: bigint,
    readonly step: bigint,
    /** Cuts: one fewer than the parts. */
    readonly length: number,
  ) {}

  /** The byte of the key where the window starts (uuid). */
  get windowByte(): number {
    return this.prefix.length / 2;
  }

  at(index: number): RowKey | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const value = this.origin + BigInt(index + 1) * this.step;
    if (this.keyType === 'int') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    const window = value.toString(16).padStart(UUID_WINDOW_BYTES * 2, '0');
    const hex = `${this.prefix}${window}`.padEnd(32, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/** Ascending cut keys: an array of them, or cuts computed by arithmetic. */
export type KeyCuts = readonly RowKey[] | EvenKeyCuts;

/**
 * At most `parts` parts of equal width over [min, max] as EvenKeyCuts (see there); `[]` when the span holds one
 * window value; undefined for int spans too wide for bigint arithmetic (evenKeyBoundaries then names the cuts).
 */
export function evenKeyCuts(entity: EntityDefinition, min: RowKey, max: RowKey, parts: number): KeyCuts | undefined {
  if (!Number.isInteger(parts) || parts < 2) throw new Error(`A range is split into at least 2 parts, got ${parts}.`);
  const type = keyTypeOf(entity);
  if (type === 'string') throw new Error(`Entity "${entity.name}": text keys have no arithmetic.`);
  let prefix = '';
  let low = keyToBigInt(entity, min);
  let high = keyToBigInt(entity, max);
  if (high <= low) return [];
  if (type === 'int') {
    if (high - low > INT8_MAX) return undefined;
  } else {
    const [lowHex, highHex] = [low, high].map((value) => value.toString(16).padStart(32, '0'));
    let shared = 0;
    while (shared < 16 - UUID_WINDOW_BYTES && lowHex.slice(shared * 2, shared * 2 + 2) === highHex.slice(shared * 2, shared * 2 + 2)) shared += 1;
    prefix = lowHex.slice(0, shared * 2);
    const window = (hex: string) => BigInt(`0x${hex.slice(shared * 2, (shared + UUID_WINDOW_BYTES) * 2)}`);
    [low, high] = [window(lowHex), window(highHex)];
  }
  const width = high - low + 1n;
  const step = (width + BigInt(parts) - 1n) / BigInt(parts);
  const cuts = Number((high - low) / step);
  return cuts === 0 ? [] : new EvenKeyCuts(type, prefix, low, step, cuts);
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
