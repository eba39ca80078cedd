/** A pipeline step ran longer than MIGRATION_TIMEOUT allows. */
export class StepTimeoutError extends Error {
  constructor(
    readonly step: string,
    readonly timeoutMs: number,
    detail = '',
  ) {
    super(`${step} did not finish within MIGRATION_TIMEOUT (${timeoutMs} ms)${detail ? `: ${detail}` : ''}`);
    this.name = 'StepTimeoutError';
  }
}

/**
 * Runs `work` with an abort signal that fires after `timeoutMs`. On time-out, `onTimeout` stops the work for real
 * (e.g. terminates its database sessions), the work's own end is awaited so nothing runs on behind the caller's
 * back, and StepTimeoutError is thrown.
 */
export async function runWithTimeout<T>(
  step: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => Promise<string | void> = async () => undefined,
): Promise<T> {
  const controller = new AbortController();
  const running = work(controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const first = await Promise.race([running.then((value) => ({ value })), timedOut]);
    if (first !== 'timeout') return first.value;
  } finally {
    clearTimeout(timer);
  }
  controller.abort();
  const detail = await onTimeout();
  await running.catch(() => undefined);
  throw new StepTimeoutError(step, timeoutMs, detail ?? '');
}
