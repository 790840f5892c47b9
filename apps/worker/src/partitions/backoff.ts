/**
 * Delay before retry `attempt` (1-based) of a batch that hit a transient failure: exponential from
 * `baseMs`, capped at `maxMs`, with full jitter so that many partitions recovering from the same
 * outage do not stampede the database together.
 *
 * @example
 * retryDelayMs(1) // between 50 and 100 ms
 * retryDelayMs(20) // between 2500 and 5000 ms
 */
export function retryDelayMs(
  attempt: number,
  baseMs = 100,
  maxMs = 5000,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
