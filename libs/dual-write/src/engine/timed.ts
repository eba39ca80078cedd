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

/**
 * The call's outcome when it settles within `ms`; undefined when it is still running then (it goes on). With no
 * time to wait (`ms` ≤ 0) the answer is undefined at once: no timer, no turn of the event loop for the caller.
 */
export async function settledWithin<R>(work: Promise<R>, ms: number): Promise<R | undefined> {
  if (ms <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
