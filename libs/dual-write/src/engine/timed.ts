export type Timed<T> = { ok: true; value: T; latencyMs: number } | { ok: false; error: unknown; latencyMs: number };

/** Runs a call, measuring it; never rejects (the outcome says how it ended). */
export async function timed<T>(call: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    return { ok: true, value: await call(), latencyMs: latency() };
  } catch (error) {
    return { ok: false, error, latencyMs: latency() };
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
