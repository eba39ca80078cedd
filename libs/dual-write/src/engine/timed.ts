export type Timed<T> =
  | { ok: true; value: T; latencyMs: number }
  | { ok: false; error: unknown; latencyMs: number; timedOut: boolean };

export class TimeoutError extends Error {
  constructor(readonly afterMs: number) {
    super(`no answer within ${afterMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** Runs a call, measuring it; with `timeoutMs`, stops waiting (the call itself may still finish later). */
export async function timed<T>(call: () => Promise<T>, timeoutMs?: number): Promise<Timed<T>> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const work = call();
  const deadline =
    timeoutMs === undefined
      ? null
      : new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(timeoutMs)), timeoutMs);
        });
  try {
    const value = await (deadline ? Promise.race([work, deadline]) : work);
    return { ok: true, value, latencyMs: latency() };
  } catch (error) {
    if (error instanceof TimeoutError) work.catch(() => undefined);
    return { ok: false, error, latencyMs: latency(), timedOut: error instanceof TimeoutError };
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
