import { FlagRepository, modeOf } from '@dualwrite/dual-write';
import type { StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';

export interface StoreRoles {
  mode: string;
  /** Whether dual writes are on (phases 2 and 3): only then is the secondary kept equal. */
  dual: boolean;
  primary: StorePlugin;
  secondary: StorePlugin;
  /** The flag version the roles were read at: a sync with them passes it (KeySync `readAtVersion`). */
  flagVersion: number;
}

/** Primary and secondary as the flags in the control database say now. */
export async function currentRoles(control: Pool, stores: { a: StorePlugin; b: StorePlugin }): Promise<StoreRoles> {
  const flags = await new FlagRepository(control).read();
  const mode = modeOf(flags);
  const [primary, secondary] = mode.primary === 'a' ? [stores.a, stores.b] : [stores.b, stores.a];
  return { mode: mode.name, dual: mode.dual, primary, secondary, flagVersion: flags.version };
}
