import type { Pool } from 'pg';
import { FlagRepository, modeOf } from '@dualwrite/dual-write';

/**
 * A copy whose source is not the primary the flags name, or asked for while a flip of the primary fences: refused
 * before anything is written. From the secondary it would write its older rows over the primary's acknowledged ones
 * (KeySync) or bring back rows the primary deleted (a streamed chunk inserts the keys the target lacks).
 */
export class CopySourceNotPrimaryError extends Error {
  constructor(
    readonly sourceSide: 'a' | 'b',
    readonly flags: { mode: string; version: number; fenced: boolean },
    readonly sourceStore?: string,
  ) {
    const other = sourceSide === 'a' ? 'b' : 'a';
    const source = `${sourceStore ? `${sourceStore} (store ${sourceSide.toUpperCase()})` : `store ${sourceSide.toUpperCase()}`}`;
    super(
      flags.fenced
        ? `copy from ${source} refused: a flip of the primary is in progress (flags version ${flags.version}); copy once it has ended`
        : `copy from ${source} refused: the flags name store ${other.toUpperCase()} the primary (${flags.mode}, version ${flags.version}); a copy goes from the primary (from=${other})`,
    );
    this.name = 'CopySourceNotPrimaryError';
  }
}

/** Refuses (CopySourceNotPrimaryError) unless the flags name `sourceSide` the primary and no flip fences. */
export async function assertSourceIsPrimary(control: Pool, sourceSide: 'a' | 'b', sourceStore?: string): Promise<void> {
  const flags = await new FlagRepository(control).read();
  const mode = modeOf(flags);
  if (mode.primary !== sourceSide || flags.fenced) {
    throw new CopySourceNotPrimaryError(sourceSide, { mode: mode.name, version: flags.version, fenced: flags.fenced }, sourceStore);
  }
}
