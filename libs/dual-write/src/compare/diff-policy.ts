import type { Comparison } from '@dualwrite/stores';
import type { DiffSeverity } from './diff-severity';

export interface DiffPolicyOptions {
  /** Record only comparisons with at least this many differences (a missing row counts as one). Default 1. */
  minDifferingFields?: number;
  /** Share of qualifying comparisons recorded, 0..1. Default 1 (all). */
  sampleRate?: number;
  /**
   * Record error-severity comparisons whatever the two settings above say, so sampling never hides
   * a lost write from the error-diff alert. Default false (the two settings alone decide).
   */
  alwaysRecordErrors?: boolean;
  /** Uniform random source in [0, 1); injectable for deterministic tests. Default Math.random. */
  random?: () => number;
}

/** Decides whether a comparison becomes a recorded diff. */
export class DiffPolicy {
  readonly minDifferingFields: number;
  readonly sampleRate: number;
  readonly alwaysRecordErrors: boolean;
  private readonly random: () => number;

  constructor(options: DiffPolicyOptions = {}) {
    this.minDifferingFields = options.minDifferingFields ?? 1;
    this.sampleRate = options.sampleRate ?? 1;
    this.alwaysRecordErrors = options.alwaysRecordErrors ?? false;
    this.random = options.random ?? Math.random;
    if (!Number.isInteger(this.minDifferingFields) || this.minDifferingFields < 1) {
      throw new RangeError(`DiffPolicy minDifferingFields must be an integer of at least 1, got ${this.minDifferingFields}.`);
    }
    if (!(this.sampleRate >= 0 && this.sampleRate <= 1)) {
      throw new RangeError(`DiffPolicy sampleRate must be between 0 and 1, got ${this.sampleRate}.`);
    }
  }

  shouldRecord(comparison: Comparison, severity?: DiffSeverity): boolean {
    if (comparison.equal || comparison.differences.length === 0) return false;
    if (this.alwaysRecordErrors && severity === 'error') return true;
    if (comparison.differences.length < this.minDifferingFields) return false;
    if (this.sampleRate >= 1) return true;
    return this.random() < this.sampleRate;
  }
}
