import { setTimeout as sleep } from "node:timers/promises";
import { type Attempt, isRetryable } from "./apiConnection.ts";

export interface RetryOptions {
  /** False: one attempt only, whatever it comes to (a caller that gives up). */
  retry: boolean;
  /** Stop retrying after this long (ms). */
  deadlineMs: number;
  /** Retry this answer too (a batch whose items were not all taken). Default: none. */
  alsoRetry?: (attempt: Attempt) => boolean;
  /** Told about every attempt (for counting). */
  onAttempt?: (attempt: Attempt) => void;
}

/**
 * Sends until an answer settles it, as a careful caller does: no answer, a 5xx or a 429 is tried
 * again (the caller resends the same request with the same Idempotency-Key) after a capped
 * exponential pause, until the deadline. Returns the last attempt and how many there were.
 *
 * @example
 * const { last } = await retryLoop(() => connection.post(path, body, { "idempotency-key": key }), {
 *   retry: true, deadlineMs: 120_000,
 * });
 */
export async function retryLoop(
  send: () => Promise<Attempt>,
  options: RetryOptions,
): Promise<{ last: Attempt; attempts: number }> {
  const deadline = Date.now() + options.deadlineMs;
  let attempts = 0;
  for (;;) {
    const attempt = await send();
    attempts += 1;
    options.onAttempt?.(attempt);
    const again = isRetryable(attempt) || (options.alsoRetry?.(attempt) ?? false);
    if (!again || !options.retry || Date.now() >= deadline) return { last: attempt, attempts };
    await sleep(Math.min(1_000, 25 * 2 ** Math.min(attempts, 6)));
  }
}
