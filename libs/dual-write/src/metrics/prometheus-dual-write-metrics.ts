import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerStateName, StoreBreakerState } from '../breakers/breaker.types';
import type { DiffSeverity } from '../compare/diff-severity';
import { withDeadline } from '../queues/with-deadline';
import type { DualWriteMetrics, StoreCallObservation } from './dual-write-metrics';

/** Where the gauges read on each scrape; any left out is not exported. */
export interface DualWriteMetricSources {
  breakers?: { snapshot(): StoreBreakerState[] };
  replayQueue?: { depth(): Promise<number> };
  diffQueue?: { depth(): Promise<number> };
  /** The ledger: when the oldest operation the secondary owes was written. */
  ledger?: { oldestOwedAt(): Promise<Date | null> };
}

/** The breaker state gauge's values, in order of how unwell the store is. */
export const BREAKER_STATE_VALUES: Record<BreakerStateName, number> = { closed: 0, half_open: 1, open: 2, isolated: 3 };

/** Store latencies from milliseconds (the engine's unit) into seconds (Prometheus' unit). */
const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A scrape waits at most this long for Redis or the control database before leaving a gauge as it was. */
const COLLECT_DEADLINE_MS = 1_000;

/**
 * The platform's Prometheus metrics in a registry of their own (never prom-client's global one, which the
 * host may use for its own metrics). The engine reports latencies and diffs as they happen; breaker state,
 * queue depths and replay lag are read when scraped.
 */
export class PrometheusDualWriteMetrics implements DualWriteMetrics {
  readonly registry = new Registry();
  private readonly writeDuration: Histogram<'store' | 'role' | 'operation'>;
  private readonly readDuration: Histogram<'store' | 'role' | 'operation'>;
  private readonly storeCalls: Counter<'kind' | 'store' | 'role' | 'operation' | 'status'>;
  private readonly diffs: Counter<'severity'>;
  private readonly collectFailures: Counter<'source'>;

  constructor(private readonly sources: DualWriteMetricSources = {}) {
    const registers = [this.registry];
    this.writeDuration = new Histogram({
      name: 'dualwrite_store_write_duration_seconds',
      help: 'Time one store took for one write, by store, role (primary/secondary) and operation.',
      labelNames: ['store', 'role', 'operation'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.readDuration = new Histogram({
      name: 'dualwrite_store_read_duration_seconds',
      help: 'Time one store took for one read (shadow reads are role secondary), by store, role and operation.',
      labelNames: ['store', 'role', 'operation'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.storeCalls = new Counter({
      name: 'dualwrite_store_calls_total',
      help: 'Store calls by kind (write/read), store, role, operation and outcome (ok, failed, timeout, skipped, compensated).',
      labelNames: ['kind', 'store', 'role', 'operation', 'status'],
      registers,
    });
    this.diffs = new Counter({
      name: 'dualwrite_diffs_total',
      help: 'Differences between the stores queued for storage, by severity.',
      labelNames: ['severity'],
      registers,
    });
    this.collectFailures = new Counter({
      name: 'dualwrite_metric_collection_failures_total',
      help: 'Scrapes on which a gauge could not be read (it keeps its previous value), by source.',
      labelNames: ['source'],
      registers,
    });
    this.registerCollectedGauges();
  }

  /** The exposition format's content type: `text/plain; version=0.0.4; charset=utf-8`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text Prometheus scrapes. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  storeCall(call: StoreCallObservation): void {
    const labels = { store: call.store, role: call.role, operation: call.operation };
    if (call.latencyMs !== null) (call.kind === 'write' ? this.writeDuration : this.readDuration).observe(labels, call.latencyMs / 1_000);
    this.storeCalls.inc({ ...labels, kind: call.kind, status: call.status });
  }

  diffQueued(severity: DiffSeverity): void {
    this.diffs.inc({ severity });
  }

  private registerCollectedGauges(): void {
    const registers = [this.registry];
    const { breakers, replayQueue, diffQueue, ledger } = this.sources;
    if (breakers) {
      new Gauge({
        name: 'dualwrite_breaker_state',
        help: 'Circuit breaker of each store in this process: 0 closed, 1 half_open, 2 open, 3 isolated.',
        labelNames: ['store'],
        registers,
        collect() {
          for (const state of breakers.snapshot()) this.set({ store: state.store }, BREAKER_STATE_VALUES[state.state]);
        },
      });
    }
    if (replayQueue) this.collectedGauge('dualwrite_replay_queue_depth', 'Replay jobs (dw-replay) waiting, delayed or running.', 'replay_queue', () => replayQueue.depth());
    if (diffQueue) this.collectedGauge('dualwrite_diff_queue_depth', 'Diff jobs (dw-diffs) waiting to be stored.', 'diff_queue', () => diffQueue.depth());
    if (ledger) {
      this.collectedGauge('dualwrite_replay_lag_seconds', 'Age of the oldest write the secondary still owes (0 when none).', 'ledger', async () => {
        const oldest = await ledger.oldestOwedAt();
        return oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1_000) : 0;
      });
    }
  }

  private collectedGauge(name: string, help: string, source: string, read: () => Promise<number>): void {
    const failures = this.collectFailures;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        try {
          this.set(await withDeadline(read(), COLLECT_DEADLINE_MS, `reading ${source} for ${name}`));
        } catch {
          failures.inc({ source });
        }
      },
    });
  }
}
