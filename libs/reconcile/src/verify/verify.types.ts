import type { FieldDifference, Row, RowKey } from '@dualwrite/stores';

/** One operation of the ledger (`dual_write_ops`) as the verification reports show it. */
export interface LedgerOpView {
  opId: string;
  entity: string;
  operation: string;
  status: string;
  keys: string[];
  primaryStore: string;
  secondaryStore: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the ledger says about one key: its newest operations, and those still open or given up on. */
export interface KeyLedger {
  /** The newest operations naming the key, newest first (at most 10). */
  latest: LedgerOpView[];
  /** Operations on the key that may still change a store: pending, primary_done, secondary_pending, primary_unavailable. */
  unsettled: LedgerOpView[];
  /** Of those, the ones the secondary owes (secondary_pending): the replay will sync them. */
  owed: LedgerOpView[];
  /** Operations the replay gave up on: an operator decides. */
  dead: LedgerOpView[];
}

export interface StoreRowView {
  store: string;
  row: Row | null;
}

/** The answer of validateDataConsistency: both stores' rows, how they differ, the ledger, and what to do. */
export interface ConsistencyReport {
  entity: string;
  id: RowKey;
  /** The phase the flags are in, e.g. `dual-primary-a`. */
  mode: string;
  consistent: boolean;
  primary: StoreRowView;
  secondary: StoreRowView;
  /** The dual-write comparison's differences (compareResults): a missing row, or each differing field with both values. */
  differences: FieldDifference[];
  ledger: KeyLedger;
  /** Concrete actions an operator can take; empty when there is nothing to do. */
  recommendations: string[];
}

/** Row counts of one entity on both stores. */
export interface EntityCountComparison {
  entity: string;
  primary: { store: string; count: number };
  secondary: { store: string; count: number };
  equal: boolean;
}

export interface CountVerification {
  mode: string;
  entities: EntityCountComparison[];
  equal: boolean;
}

/** A key of a verified operation whose rows differ on the two stores (or one lacks it). */
export interface KeyMismatch {
  entity: string;
  key: string;
  /** The operations of the window that wrote the key. */
  opIds: string[];
  differences: FieldDifference[];
}

export interface DualWriteVerification {
  mode: string;
  /** The window, on the control database's clock. */
  from: Date;
  to: Date;
  /** Operations of the window. */
  operations: number;
  /** Applied operations written in a single-store phase (1 or 4: no secondary): not compared. */
  singleStoreOperations: number;
  /** Applied operations of an entity this process does not register: not compared. */
  unknownEntityOperations: number;
  /** Distinct keys compared on both stores. */
  keysChecked: number;
  /** Keys of applied (or abandoned) operations whose rows are not equal on both stores. */
  mismatches: KeyMismatch[];
  /** Operations of the window that are not applied, with their status (rejected, owed, in flight, dead, …). */
  notApplied: LedgerOpView[];
  /** Keys not compared because an operation on them is still unsettled (the comparison would be premature). */
  inFlightKeys: { entity: string; key: string }[];
  equal: boolean;
}

/** A key backfill-gap found unequal on the secondary, and how. */
export interface GapKey {
  key: string;
  kind: 'missing_in_secondary' | 'differs' | 'deleted_on_primary';
  /** Differing fields (kind `differs`). */
  fields: string[];
}

export interface EntityBackfillResult {
  entity: string;
  /** Why the entity was not looked at (no updated-at field); the other fields are then zero. */
  skipped?: string;
  /** Keys the primary changed since the time (its updated-at field), and keys the ledger shows deleted since. */
  changedOnPrimary: number;
  deletedInLedger: number;
  /** The keys that differ or are missing on the secondary. */
  gaps: GapKey[];
  /** Applied only: rows copied and deleted by KeySync, keys it left (with why), and keys still unequal after. */
  copied: number;
  deleted: number;
  left: { key: string; reason: string }[];
  stillDiffering: string[];
}

export interface BackfillResult {
  since: Date;
  dryRun: boolean;
  primaryStore: string;
  secondaryStore: string;
  entities: EntityBackfillResult[];
}
