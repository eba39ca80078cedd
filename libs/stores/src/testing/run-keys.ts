import { randomBytes } from 'node:crypto';
import type { KeyRange } from '../store/store.types';

function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/**
 * A slice of the uuid key space for one test run: every id shares an 8-hex-digit prefix, so a key range
 * over the prefix sees only this run's rows even while other tests write to the same tables.
 */
export class RunKeys {
  readonly prefix: string;

  /** `prefix` pins the slice (e.g. `ffffffff` for the top of the key space); random otherwise. */
  constructor(prefix?: string) {
    if (prefix !== undefined && !/^[0-9a-f]{8}$/.test(prefix)) throw new Error(`RunKeys prefix must be 8 hex digits: ${prefix}`);
    // Below ffffffff unless pinned, so the range's exclusive upper bound (prefix + 1) stays 8 digits.
    this.prefix = prefix ?? (Number.parseInt(randomHex(8), 16) % 0xffffffff).toString(16).padStart(8, '0');
  }

  /** A fresh version-4 uuid inside this slice. */
  id(): string {
    const variant = ['8', '9', 'a', 'b'][randomBytes(1)[0] % 4];
    return `${this.prefix}-${randomHex(4)}-4${randomHex(3)}-${variant}${randomHex(3)}-${randomHex(12)}`;
  }

  /** The lowest uuid of the slice; no id() ever equals it, so it also serves as an exclusive `after`. */
  get lowest(): string {
    return `${this.prefix}-0000-0000-0000-000000000000`;
  }

  /** [first uuid of the slice, first uuid of the next slice). Not defined for the pinned `ffffffff` slice. */
  get range(): KeyRange {
    const next = Number.parseInt(this.prefix, 16) + 1;
    if (next > 0xffffffff) throw new Error('The ffffffff slice has no upper bound; use { from: lowest }.');
    return { from: this.lowest, to: `${next.toString(16).padStart(8, '0')}-0000-0000-0000-000000000000` };
  }
}
