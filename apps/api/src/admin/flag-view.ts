import { describeMode, modeOf, type DualWriteModeName, type FlagState } from '@dualwrite/dual-write';
import type { StoreNames } from './store-names';

/** The phase flags as the admin API shows them. */
export interface FlagView {
  enableDualWrite: boolean;
  enableSupabasePrimary: boolean;
  mode: { name: DualWriteModeName; phase: 1 | 2 | 3 | 4; description: string };
  version: number;
  updatedAt: Date;
  updatedBy: string;
  reason: string;
}

export function flagViewOf(state: FlagState, stores: StoreNames): FlagView {
  const mode = modeOf(state);
  return {
    enableDualWrite: state.enableDualWrite,
    enableSupabasePrimary: state.enableSupabasePrimary,
    mode: { name: mode.name, phase: mode.phase, description: describeMode(mode, stores) },
    version: state.version,
    updatedAt: state.updatedAt,
    updatedBy: state.updatedBy,
    reason: state.reason,
  };
}
