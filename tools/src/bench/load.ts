export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  latenciesMs: number[];
  elapsedMs: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function summarise(result: LoadResult): { p50: number; p95: number; p99: number; throughput: number } {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), throughput: result.ok / (result.elapsedMs / 1000) };
}

/** Closed loop: `concurrency` callers, each sending its next request when the last one answered. */
export async function closedLoop(send: (index: number) => Promise<boolean>, concurrency: number, durationMs: number): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, latenciesMs: [], elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const index = result.sent++;
        const begun = performance.now();
        const ok = await send(index).catch(() => false);
        result.latenciesMs.push(performance.now() - begun);
        if (ok) result.ok += 1;
        else result.failed += 1;
      }
    }),
  );
  result.elapsedMs = performance.now() - started;
  return result;
}

/** Open loop: requests started at `ratePerSecond` whatever the answers do (a burst), for `durationMs`. */
export async function openLoop(send: (index: number) => Promise<boolean>, ratePerSecond: number, durationMs: number): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, latenciesMs: [], elapsedMs: 0 };
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  for (let index = 0; index < total; index += 1) {
    const due = started + (index * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    result.sent += 1;
    const begun = performance.now();
    inFlight.push(
      send(index)
        .catch(() => false)
        .then((ok) => {
          result.latenciesMs.push(performance.now() - begun);
          if (ok) result.ok += 1;
          else result.failed += 1;
        }),
    );
  }
  await Promise.all(inFlight);
  result.elapsedMs = performance.now() - started;
  return result;
}
