import { DEFAULT_ALERT_THRESHOLDS, ROLLBACK_RULES, type Alert, type AlertRule, type AlertSeverity, type AlertSnapshot, type AlertThresholds } from './alert.types';

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

  private latencyRegression(snapshot: AlertSnapshot): Alert[] {
    const { current, previous } = snapshot.latency;
    const min = this.thresholds.minLatencySamples;
    if (!previous || current.samples < min || previous.samples < min) return [];
    if (current.p95Ms === null || previous.p95Ms === null || previous.p95Ms <= 0) return [];
    const increase = current.p95Ms / previous.p95Ms - 1;
    if (!(increase > this.thresholds.latencyIncrease)) return [];
    return [
      this.alert(snapshot, 'primary-latency-regression', 'warning', {
        summary: `p95 of the primary path is ${current.p95Ms} ms in ${current.mode} (${current.samples} writes), ${percent(increase)} above ${previous.p95Ms} ms in ${previous.mode} (${previous.samples} writes; threshold ${percent(this.thresholds.latencyIncrease)})`,
        figures: {
          p95Ms: current.p95Ms,
          previousP95Ms: previous.p95Ms,
          increase: round(increase),
          samples: current.samples,
          previousSamples: previous.samples,
          previousMode: previous.mode,
          threshold: this.thresholds.latencyIncrease,
        },
      }),
    ];
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
