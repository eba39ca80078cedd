import {
  DEFAULT_ALERT_THRESHOLDS,
  ROLLBACK_RULES,
  type Alert,
  type AlertRule,
  type AlertSeverity,
  type AlertSnapshot,
  type AlertThresholds,
  type LatencyFigures,
  type LatencyGroup,
} from './alert.types';

/** The alert rules as pure functions of a snapshot: same snapshot, same alerts. */
export class AlertEvaluator {
  readonly thresholds: AlertThresholds;

  constructor(thresholds: Partial<AlertThresholds> = {}) {
    this.thresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...thresholds };
  }

  evaluate(snapshot: AlertSnapshot): Alert[] {
    return [
      ...this.secondaryErrorRate(snapshot),
      ...this.latencyRegression(snapshot),
      ...this.unresolvedErrorDiffs(snapshot),
      ...this.breakersOpen(snapshot),
      ...this.bothStoresDown(snapshot),
      ...this.partialFailureRate(snapshot),
    ];
  }

  private secondaryErrorRate(snapshot: AlertSnapshot): Alert[] {
    const { total, secondaryErrors } = snapshot.recentDualWrites;
    if (total < this.thresholds.minOpsForRates) return [];
    const rate = secondaryErrors / total;
    if (!(rate > this.thresholds.secondaryErrorRate)) return [];
    return [
      this.alert(snapshot, 'secondary-error-rate', 'critical', {
        summary: `${percent(rate)} of ${total} writes in ${snapshot.mode.name} since ${snapshot.recentDualWrites.since.toISOString()} failed on the secondary (${secondaryErrors}; threshold ${percent(this.thresholds.secondaryErrorRate)})`,
        figures: { rate: round(rate), secondaryErrors, writes: total, threshold: this.thresholds.secondaryErrorRate },
      }),
    ];
  }

  /**
   * Like with like: a kind of write (entity and operation) is compared with the same kind in the previous phase,
   * and only where each side has enough writes over enough time (a burst of one kind after an idle phase is no
   * regression of the phase). The kind that rose most names the alert.
   */
  private latencyRegression(snapshot: AlertSnapshot): Alert[] {
    const { current, previous } = snapshot.latency;
    if (!previous || !this.enoughLatency(current) || !this.enoughLatency(previous)) return [];
    let worst: { group: LatencyGroup; before: LatencyGroup; increase: number } | null = null;
    for (const group of current.groups) {
      const before = previous.groups.find((candidate) => candidate.entity === group.entity && candidate.operation === group.operation);
      if (!before || !this.enoughLatency(group) || !this.enoughLatency(before)) continue;
      if (group.p95Ms === null || before.p95Ms === null || before.p95Ms <= 0) continue;
      const increase = group.p95Ms / before.p95Ms - 1;
      if (increase > this.thresholds.latencyIncrease && (!worst || increase > worst.increase)) worst = { group, before, increase };
    }
    if (!worst) return [];
    const { group, before, increase } = worst;
    const kind = `${group.operation} of ${group.entity}`;
    return [
      this.alert(snapshot, 'primary-latency-regression', 'warning', {
        summary: `p95 of the primary path for ${kind} is ${group.p95Ms} ms in ${current.mode} (${group.samples} writes over ${seconds(group.spanMs)}), ${percent(increase)} above ${before.p95Ms} ms in ${previous.mode} (${before.samples} writes over ${seconds(before.spanMs)}; threshold ${percent(this.thresholds.latencyIncrease)})`,
        figures: {
          kind,
          p95Ms: group.p95Ms as number,
          previousP95Ms: before.p95Ms as number,
          increase: round(increase),
          samples: group.samples,
          previousSamples: before.samples,
          previousMode: previous.mode,
          threshold: this.thresholds.latencyIncrease,
        },
      }),
    ];
  }

  private enoughLatency(figures: LatencyFigures): boolean {
    return figures.samples >= this.thresholds.minLatencySamples && figures.spanMs >= this.thresholds.minLatencySpanMs;
  }

  private unresolvedErrorDiffs(snapshot: AlertSnapshot): Alert[] {
    const count = snapshot.unresolvedErrorDiffs;
    if (!(count > this.thresholds.unresolvedErrorDiffs)) return [];
    return [
      this.alert(snapshot, 'unresolved-error-diffs', 'warning', {
        summary: `${count} error-level diffs are unresolved (threshold ${this.thresholds.unresolvedErrorDiffs}); see GET /admin/diffs?severity=error`,
        figures: { unresolved: count, threshold: this.thresholds.unresolvedErrorDiffs },
      }),
    ];
  }

  private breakersOpen(snapshot: AlertSnapshot): Alert[] {
    const longest = new Map<string, { downSince: Date; state: string; processes: number }>();
    for (const breaker of snapshot.breakers) {
      if (breaker.state === 'closed' || !breaker.downSince) continue;
      if (snapshot.at.getTime() - breaker.downSince.getTime() <= this.thresholds.breakerOpenMs) continue;
      const seen = longest.get(breaker.store);
      if (!seen || breaker.downSince < seen.downSince) {
        longest.set(breaker.store, { downSince: breaker.downSince, state: breaker.state, processes: (seen?.processes ?? 0) + 1 });
      } else {
        seen.processes += 1;
      }
    }
    return [...longest.entries()].map(([store, open]) => {
      const minutes = (snapshot.at.getTime() - open.downSince.getTime()) / 60_000;
      return this.alert(snapshot, 'breaker-open', 'warning', {
        key: `breaker-open:${store}`,
        summary: `the ${store} breaker has not been closed for ${minutes.toFixed(1)} min (now ${open.state}, in ${open.processes} process(es); threshold ${this.thresholds.breakerOpenMs / 60_000} min)`,
        figures: { store, state: open.state, downForMs: snapshot.at.getTime() - open.downSince.getTime(), processes: open.processes, thresholdMs: this.thresholds.breakerOpenMs },
      });
    });
  }

  private bothStoresDown(snapshot: AlertSnapshot): Alert[] {
    const stores = new Set(snapshot.breakers.map((breaker) => breaker.store));
    const down = new Set(snapshot.breakers.filter((breaker) => breaker.state !== 'closed').map((breaker) => breaker.store));
    if (stores.size < 2 || down.size < stores.size) return [];
    const names = [...stores].sort();
    return [
      this.alert(snapshot, 'both-stores-down', 'critical', {
        summary: `every store's breaker is open (${names.join(', ')}): writes fail with 503 until one recovers`,
        figures: { stores: names.join(',') },
      }),
    ];
  }

  private partialFailureRate(snapshot: AlertSnapshot): Alert[] {
    const { total, partialFailures } = snapshot.recentDualWrites;
    if (total < this.thresholds.minOpsForRates) return [];
    const rate = partialFailures / total;
    if (!(rate > this.thresholds.partialFailureRate)) return [];
    return [
      this.alert(snapshot, 'partial-failure-rate', 'critical', {
        summary: `${percent(rate)} of ${total} writes in ${snapshot.mode.name} failed on exactly one store (${partialFailures}; threshold ${percent(this.thresholds.partialFailureRate)})`,
        figures: { rate: round(rate), partialFailures, writes: total, threshold: this.thresholds.partialFailureRate },
      }),
    ];
  }

  private alert(
    snapshot: AlertSnapshot,
    rule: AlertRule,
    severity: AlertSeverity,
    details: { key?: string; summary: string; figures: Alert['figures'] },
  ): Alert {
    return {
      rule,
      key: details.key ?? rule,
      severity,
      summary: details.summary,
      figures: details.figures,
      mode: snapshot.mode.name,
      rollsBack: ROLLBACK_RULES.includes(rule),
    };
  }
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1_000)} s`;
}
