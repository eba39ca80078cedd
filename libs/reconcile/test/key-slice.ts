import { randomBytes } from 'node:crypto';
import type { KeyRange } from '@dualwrite/stores';

/**
 * A slice of the uuid key space for one run (every id shares a random 8-hex-digit prefix), so reconciling the
 * slice's range sees only this run's rows while other suites write to the same tables.
 */
export class KeySlice {
  readonly prefix = (randomBytes(4).readUInt32BE(0) % 0xfffffffe).toString(16).padStart(8, '0');

  id(): string {
    const hex = randomBytes(14).toString('hex');
    return `${this.prefix}-${hex.slice(0, 4)}-4${hex.slice(4, 7)}-8${hex.slice(7, 10)}-${hex.slice(10, 22)}`;
  }

  get range(): KeyRange {
    const next = (Number.parseInt(this.prefix, 16) + 1).toString(16).padStart(8, '0');
    return { from: `${this.prefix}-0000-0000-0000-000000000000`, to: `${next}-0000-0000-0000-000000000000` };
  }
}
