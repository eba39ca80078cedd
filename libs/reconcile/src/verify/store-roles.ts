import { FlagRepository, modeOf } from '@dualwrite/dual-write';
import type { StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';

export interface StoreRoles {
  mode: string;
  /** Whether dual writes are on (phases 2 and 3): only then is the secondary kept equal. */
  dual: boolean;
  primary: StorePlugin;
  secondary: StorePlugin;
  /** Which store the flags name primary: a sync with these roles passes it (KeySync `flagsPrimary`). */
  primarySide: 'a' | 'b';
}

/** Primary and secondary as the flags in the control database say now. */
export async function currentRoles(control: Pool, stores: { a: StorePlugin; b: StorePlugin }): Promise<StoreRoles> {
  const mode = modeOf(await new FlagRepository(control).read());
  const [primary, secondary] = mode.primary === 'a' ? [stores.a, stores.b] : [stores.b, stores.a];
  return { mode: mode.name, dual: mode.dual, primary, secondary, primarySide: mode.primary };
}
