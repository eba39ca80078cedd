/** The two flags an operator flips to move through the four phases (names from the runbook). */
export interface DualWriteFlags {
  enableDualWrite: boolean;
  enableSupabasePrimary: boolean;
}

export type DualWriteModeName = 'primary-only' | 'dual-primary-a' | 'dual-primary-b' | 'secondary-only';

export interface DualWriteMode {
  name: DualWriteModeName;
  /** 1 A only · 2 dual, A primary · 3 dual, B primary · 4 B only. */
  phase: 1 | 2 | 3 | 4;
  /** Which store answers the caller: 'a' (the store being left) or 'b' (the store being moved to). */
  primary: 'a' | 'b';
  /** Whether the other store is written in parallel and shadow-read. */
  dual: boolean;
}

export function modeOf(flags: DualWriteFlags): DualWriteMode {
  if (!flags.enableDualWrite && !flags.enableSupabasePrimary) return { name: 'primary-only', phase: 1, primary: 'a', dual: false };
  if (flags.enableDualWrite && !flags.enableSupabasePrimary) return { name: 'dual-primary-a', phase: 2, primary: 'a', dual: true };
  if (flags.enableDualWrite && flags.enableSupabasePrimary) return { name: 'dual-primary-b', phase: 3, primary: 'b', dual: true };
  return { name: 'secondary-only', phase: 4, primary: 'b', dual: false };
}

/** How an operator reads a mode, e.g. "phase 2: dual write, prisma primary (supabase shadow)". */
export function describeMode(mode: DualWriteMode, storeNames: { a: string; b: string }): string {
  const primary = storeNames[mode.primary];
  const secondary = storeNames[mode.primary === 'a' ? 'b' : 'a'];
  return mode.dual
    ? `phase ${mode.phase}: dual write, ${primary} primary (${secondary} shadow)`
    : `phase ${mode.phase}: ${primary} only`;
}
