import { v7 as uuidv7 } from 'uuid';
import { compareResults } from '@dualwrite/stores';
import type { Row, RowKey, StorePlugin } from '@dualwrite/stores';
import { classifyDiffSeverity, type DiffSeverityRules } from '../compare/diff-severity';
import type { DiffPolicy } from '../compare/diff-policy';
import type { DiffRecord, DiffSink } from '../diffs/diff-record';
import type { WriteOperation } from '../ledger/operation-ledger';
import type { OperationPlan } from './operation-plan';
import type { StoreCallObserver } from './store-call-observer';
import { describeError, type Timed } from './timed';

export interface DiffRecorderOptions {
  diffs: DiffSink;
  diffPolicy: DiffPolicy;
  severityRules?: DiffSeverityRules;
  onWarning?: (message: string) => void;
}

/** Compares what the two stores answered and queues the differences the policy keeps. Never rejects. */
export class DiffRecorder {
  constructor(
    private readonly options: DiffRecorderOptions,
    private readonly observer: StoreCallObserver,
  ) {}

  async compareWrite(plan: OperationPlan, operation: WriteOperation, keys: RowKey[], primary: Timed<unknown>, secondary: Timed<unknown>): Promise<void> {
    if (!primary.ok || !secondary.ok) return;
    if (operation === 'batch') return; // a count says nothing row by row; reconciliation compares batches
    await this.compareAndRecord(plan, operation, keys[0] ?? null, primary, secondary);
  }

  async compareAndRecord(
    plan: OperationPlan,
    operation: string,
    entityId: RowKey | null,
    primary: Timed<unknown> & { ok: true },
    secondary: Timed<unknown> & { ok: true },
  ): Promise<void> {
    try {
      const comparison = compareResults(plan.entity, primary.value as Row | Row[] | null, secondary.value as Row | Row[] | null);
      const severity = classifyDiffSeverity(comparison.differences, plan.entity, this.options.severityRules);
      if (!this.options.diffPolicy.shouldRecord(comparison, severity)) return;
      await this.record(plan, operation, entityId, severity, comparison.differences, primary.latencyMs, secondary.latencyMs);
    } catch (error) {
      this.options.onWarning?.(`comparison of ${plan.entity.name} ${String(entityId)} failed: ${describeError(error)}`);
    }
  }

  async record(
    plan: OperationPlan,
    operation: string,
    entityId: RowKey | null,
    severity: DiffRecord['severity'],
    differences: DiffRecord['differences'],
    primaryLatencyMs: number | null,
    secondaryLatencyMs: number | null,
  ): Promise<void> {
    try {
      await this.options.diffs.record({
        diffId: uuidv7(),
        apiEndpoint: plan.endpoint,
        entity: plan.entity.name,
        entityId: entityId === null ? null : String(entityId),
        operation,
        severity,
        differences,
        primaryStore: plan.primary.name,
        secondaryStore: (plan.secondary as StorePlugin).name,
        primaryLatencyMs,
        secondaryLatencyMs,
        seenAt: new Date().toISOString(),
      });
      this.observer.report((metrics) => metrics.diffQueued(severity));
    } catch (error) {
      this.options.onWarning?.(`a ${severity} diff of ${plan.entity.name} ${String(entityId)} could not be queued: ${describeError(error)}`);
    }
  }
}
