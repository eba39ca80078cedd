import type { FieldDifference } from '@dualwrite/stores';
import type { DiffSeverity } from '../compare/diff-severity';

/** One recorded difference between the stores, as it travels on `dw-diffs` and lands in dual_write_diffs. */
export interface DiffRecord {
  /** Assigned where the difference was seen; makes storing it idempotent. */
  diffId: string;
  apiEndpoint: string;
  entity: string;
  entityId: string | null;
  /** `read`, or the write operation whose results differed (or failed half-way). */
  operation: string;
  severity: DiffSeverity;
  differences: FieldDifference[];
  primaryStore: string;
  secondaryStore: string;
  primaryLatencyMs: number | null;
  secondaryLatencyMs: number | null;
  /** ISO time the difference was seen. */
  seenAt: string;
}

/** Where the engine sends differences: the BullMQ queue in production, a list in tests of the engine alone. */
export interface DiffSink {
  record(diff: DiffRecord): Promise<void>;
}
