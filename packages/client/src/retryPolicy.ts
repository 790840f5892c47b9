/**
 * When to send a request again, and after how long. Pure functions: the transport and the batch
 * delivery apply them, unit tests check them.
 *
 * What is retried: no answer (connection refused, reset or closed, a timeout) and 502/503/504.
 * Every submission carries an Idempotency-Key and is resent with the same key and the same bytes,
 * so a retry of an operation the API did accept is answered as a replay, never applied twice.
 * What is never retried: any other 4xx (the request is wrong, or rate limited: the caller decides)
 * and 500 (a bug; sending it again does not cure it).
 */

export interface RetryOptions {
  /** Give up once this much time has passed since the first attempt (default 30 s). */
  maxElapsedMs?: number;
  /** The first backoff step (default 50 ms); each retry doubles it, up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** The longest wait between two attempts (default 2 s), unless `Retry-After` asks for more. */
  maxDelayMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  maxElapsedMs: 30_000,
  initialDelayMs: 50,
  maxDelayMs: 2_000,
});

/** The statuses that mean "not accepted, come back": the API's 503 and a proxy's 502/504. */
export function isRetryableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/**
 * Capped exponential backoff with full jitter: a uniform pick in [0, min(max, initial * 2^attempt)].
 * Full jitter spreads the retries of many callers that failed together (an API restart) instead of
 * bringing them back in waves.
 *
 * @example
 * backoffDelay(0, DEFAULT_RETRY, () => 0.5) // 25
 * backoffDelay(10, DEFAULT_RETRY, () => 1)  // 2000
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(random() * ceiling);
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined when absent or malformed.
 *
 * @example
 * retryAfterMs("2")                                   // 2000
 * retryAfterMs("Wed, 21 Oct 2026 07:28:00 GMT", now)  // ms until then (0 if past)
 */
export function retryAfterMs(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `attempt + 1`, or undefined when the budget does not allow it.
 * `Retry-After` is a floor: the API knows better than the backoff when it will take requests again.
 *
 * @example
 * nextDelay({ attempt: 0, elapsedMs: 10, retryAfterMs: 1000 }, DEFAULT_RETRY) // >= 1000
 * nextDelay({ attempt: 9, elapsedMs: 29_990 }, DEFAULT_RETRY)                 // undefined (budget spent)
 */
export function nextDelay(
  state: { attempt: number; elapsedMs: number; retryAfterMs?: number | undefined; immediate?: boolean },
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  const backoff = state.immediate ? 0 : backoffDelay(state.attempt, policy, random);
  const delay = Math.max(backoff, state.retryAfterMs ?? 0);
  return state.elapsedMs + delay < policy.maxElapsedMs ? delay : undefined;
}

/** How a request that got no answer failed. */
export type NoAnswer =
  /** The connection was closed or reset (a pooled keep-alive connection the server had closed, a restart). */
  | "dropped"
  /** No connection could be made (the API is down or restarting). */
  | "refused"
  /** No answer within the request timeout. */
  | "timeout";

const DROPPED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);

/**
 * Classifies what `fetch` threw: undefined for errors that are not about the network (a bug, an
 * invalid URL), which are never retried.
 */
export function classifyNoAnswer(error: unknown): NoAnswer | undefined {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    return "timeout";
  if (!(error instanceof TypeError)) return undefined;
  // undici: TypeError("fetch failed") with the socket's error as `cause` (possibly nested once more).
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") {
      if (DROPPED.has(code)) return "dropped";
      if (
        code === "UND_ERR_CONNECT_TIMEOUT" ||
        code === "UND_ERR_HEADERS_TIMEOUT" ||
        code === "UND_ERR_BODY_TIMEOUT"
      )
        return "timeout";
      return "refused";
    }
    cause = cause.cause;
  }
  return error.message === "fetch failed" ? "refused" : undefined;
}
