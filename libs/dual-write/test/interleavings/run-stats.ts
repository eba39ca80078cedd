/** What one run of the interleaving property did, summed over runs by the spec. */
export interface RunStats {
  steps: number;
  acknowledged: number;
  flips: number;
  flipsRefused: number;
  crashes: number;
  knownLimitRows: number;
  /** Late landings of a crashed process's sync calls (the known limit whose I3 window is tolerated until the sweep). */
  crashWindows: number;
  /** Syncs that carried the keys of several writes and settled them together (SyncBatcher, group commit only). */
  groupedSyncs: number;
  /** Hash of the released labels, in order: equal for equal interleavings. */
  trace: string;
}
