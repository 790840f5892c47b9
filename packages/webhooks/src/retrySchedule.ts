/**
 * When a failed delivery is tried again. docs/api.md promises retries "with exponential backoff and
 * jitter for at least 24 hours":
 *
 * - the n-th retry waits `min(1 s * 2^(n-1), 1 h)`, times a jitter factor drawn uniformly from
 *   [0.75, 1.25) so that receivers coming back from an outage are not hit by every sender at once;
 * - nominally 1 s, 2 s, 4 s ... 34 min 8 s (retries 1-12, 68 min 15 s in all), then 1 h for each of
 *   the next 31 retries: 43 retries, 44 attempts, about 32 h 8 min nominal;
 * - even if every jitter draw is the lowest (0.75), the last attempt comes more than 24 h after the
 *   first (24 h 6 min), which `minimumRetryWindowMs` computes and a unit test checks.
 */

const RETRY_BASE_MS = 1_000;
export const RETRY_CAP_MS = 3_600_000;
/** The jitter factor is drawn from [1 - RETRY_JITTER, 1 + RETRY_JITTER). */
const RETRY_JITTER = 0.25;
/** Attempts of one delivery in total (the first and 43 retries). */
export const DELIVERY_ATTEMPTS = 44;
/** The BullMQ backoff type whose delays `retryDelayMs` computes (a Worker `backoffStrategy`). */
export const WEBHOOK_BACKOFF_TYPE = "webhook";

/** The delay before retry number `retry` (1 for the first retry) without jitter. */
export function nominalRetryDelayMs(retry: number): number {
  const exponent = Math.max(0, retry - 1);
  // 2^22 s already exceeds the cap; avoid computing huge powers.
  return exponent >= 22 ? RETRY_CAP_MS : Math.min(RETRY_BASE_MS * 2 ** exponent, RETRY_CAP_MS);
}

/**
 * The delay before retry number `retry` (BullMQ passes `attemptsMade`: 1 after the first failure).
 *
 * @example
 * retryDelayMs(1, () => 0.5)  // 1000
 * retryDelayMs(13, () => 0.5) // 3600000 (the cap)
 * retryDelayMs(3)             // between 3000 and 5000
 */
export function retryDelayMs(retry: number, random: () => number = Math.random): number {
  const factor = 1 - RETRY_JITTER + 2 * RETRY_JITTER * random();
  return Math.round(nominalRetryDelayMs(retry) * factor);
}

/**
 * The shortest possible time between the first and the last of `attempts` attempts (every jitter
 * draw at its lowest). Attempt durations only add to it.
 *
 * @example
 * minimumRetryWindowMs(DELIVERY_ATTEMPTS) >= 24 * 3600 * 1000 // true
 */
export function minimumRetryWindowMs(attempts: number): number {
  let total = 0;
  for (let retry = 1; retry < attempts; retry += 1) {
    total += nominalRetryDelayMs(retry) * (1 - RETRY_JITTER);
  }
  return total;
}
