import type { MiddlewareHandler } from "hono";
import type { ApiEnv, AuthenticatedClient } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import { type TakeResult, TokenBuckets } from "./tokenBuckets.ts";

export interface ClientRateLimiterOptions {
  /** Most clients remembered (far above the number of calling services). Default 10,000. */
  maxClients?: number;
  now?: () => number;
}

/**
 * Per-client token buckets in this instance's memory: a client may make `rateLimit` requests per
 * second with a burst of one second's worth. The limit is per API instance (as docs/api.md's
 * client rate limit says): N instances behind a balancer allow N times as much in total.
 */
export class ClientRateLimiter {
  readonly #buckets: TokenBuckets;

  constructor(options: ClientRateLimiterOptions = {}) {
    this.#buckets = new TokenBuckets({
      maxKeys: options.maxClients ?? 10_000,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Takes one request from the client's allowance. O(1). */
  take(client: AuthenticatedClient): TakeResult {
    return this.#buckets.take(client.id, client.rateLimit, client.rateLimit);
  }
}

/**
 * Answers 429 `rate_limited` with `Retry-After` to a client over its rate limit. Goes after
 * `authenticate()` (it needs the client) and before `requireScope()` (so that a flood of
 * forbidden requests is limited too).
 *
 * @example
 * const limiter = new ClientRateLimiter();
 * app.use("/v1/*", authenticate(registry, audit, { failures }), rateLimit(limiter));
 */
export function rateLimit(limiter: ClientRateLimiter): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const client = c.get("client");
    if (!client) throw new Error("rateLimit() needs authenticate() before it");
    const result = limiter.take(client);
    if (!result.ok) {
      throw new ApiError(
        "rate_limited",
        `rate limit of ${client.rateLimit} requests per second exceeded; retry after ${result.retryAfterSeconds} s`,
        { retryAfterSeconds: result.retryAfterSeconds },
      );
    }
    await next();
  };
}

export interface AuthFailureLimiterOptions {
  /** Failed authentications one address may make per minute (`AUTH_FAILURES_PER_MINUTE`). */
  failuresPerMinute: number;
  /**
   * Most addresses remembered. An attacker with more addresses than this gets some of its
   * counters forgotten; 256-bit keys cannot be guessed anyway: the limit is there to stop a flood
   * of failures from filling logs, the audit log and the registry's reloads. Default 100,000.
   */
  maxAddresses?: number;
  now?: () => number;
}

/**
 * Failed authentications per client address, as a token bucket: `failuresPerMinute` at once, then
 * one more every `60 / failuresPerMinute` seconds. While an address has no failure left, its
 * requests are answered 429 before their key is even read. A success does not reset the count
 * (one valid key must not buy unlimited guesses at others).
 */
export class AuthFailureLimiter {
  readonly #buckets: TokenBuckets;
  readonly #perSecond: number;
  readonly #capacity: number;

  constructor(options: AuthFailureLimiterOptions) {
    if (!(options.failuresPerMinute >= 1)) throw new RangeError("failuresPerMinute must be at least 1");
    this.#capacity = options.failuresPerMinute;
    this.#perSecond = options.failuresPerMinute / 60;
    this.#buckets = new TokenBuckets({
      maxKeys: options.maxAddresses ?? 100_000,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Seconds `ip` must wait before its next attempt; 0 when it may try now. */
  blockedFor(ip: string): number {
    return this.#buckets.waitSeconds(ip, this.#perSecond, this.#capacity);
  }

  /** Counts one failure of `ip`. `blocked` says whether the address has now used up its failures. */
  recordFailure(ip: string): { blocked: boolean } {
    this.#buckets.take(ip, this.#perSecond, this.#capacity);
    return { blocked: this.#buckets.tokens(ip, this.#perSecond, this.#capacity) < 1 };
  }
}
