import type { StorePlugin } from '@dualwrite/stores';
import type { ObservedStoreOutcome, OperationObservation } from '../ledger/operation-ledger';
import type { DualWriteMetrics } from '../metrics/dual-write-metrics';
import type { StoreOutcome, StoreRole } from './dual-write-result';
import type { OperationPlan } from './operation-plan';
import { describeError, type Timed } from './timed';

export interface StoreCallObserverOptions {
  /** Latencies and diff counts for /metrics; absent = nothing measured. */
  metrics?: DualWriteMetrics;
}

export function storeOutcome(store: StorePlugin, role: StoreRole, result: Timed<unknown>): StoreOutcome {
  if (result.ok) return { store: store.name, role, status: 'ok', latencyMs: result.latencyMs };
  const skipped = isBreakerOpen(result.error);
  return {
    store: store.name,
    role,
    status: skipped ? 'skipped' : 'failed',
    latencyMs: skipped ? null : result.latencyMs,
    error: describeError(result.error),
  };
}

export class StoreCallObserver {
  constructor(private readonly options: StoreCallObserverOptions) {}

  /** Reports each store call to the metrics and returns what the ledger keeps for the alert rules. */
  observe(plan: OperationPlan, kind: 'write' | 'read', operation: string, outcomes: StoreOutcome[], pathLatencyMs?: number): OperationObservation {
    for (const outcome of outcomes) {
      this.report((metrics) =>
        metrics.storeCall({ kind, store: outcome.store, role: outcome.role, operation, status: outcome.status, latencyMs: outcome.latencyMs }),
      );
    }
    return this.observation(plan, outcomes, pathLatencyMs);
  }

  /** What the ledger keeps of the outcomes for the alert rules (nothing reported to the metrics). */
  observation(plan: OperationPlan, outcomes: StoreOutcome[], pathLatencyMs?: number): OperationObservation {
    const primary = outcomes.find((outcome) => outcome.role === 'primary');
    const secondary = outcomes.find((outcome) => outcome.role === 'secondary');
    return {
      primaryOutcome: settledStatus(primary),
      secondaryOutcome: settledStatus(secondary),
      primaryLatencyMs: primary?.latencyMs ?? null,
      secondaryLatencyMs: secondary?.latencyMs ?? null,
      pathLatencyMs: pathLatencyMs ?? Math.round(performance.now() - plan.startedAt),
    };
  }

  report(record: (metrics: DualWriteMetrics) => void): void {
    if (!this.options.metrics) return;
    try {
      record(this.options.metrics);
    } catch {
      // Measuring must never change the outcome of a call.
    }
  }
}

/** What the ledger keeps of an outcome: how the call ended (a call still running has not, yet). */
function settledStatus(outcome: StoreOutcome | undefined): ObservedStoreOutcome | null {
  return outcome === undefined || outcome.status === 'pending' ? null : outcome.status;
}

function isBreakerOpen(error: unknown): boolean {
  return error instanceof Error && error.name === 'BreakerOpenError';
}
