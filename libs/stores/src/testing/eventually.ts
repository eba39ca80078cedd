/**
 * For tests of what happens after a call returns (a secondary's copy settling, a queued diff, a published
 * state): polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
