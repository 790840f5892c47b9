import { type BatchingOptions, type BatchingPolicy, DEFAULT_BATCHING } from "./batcher.ts";
import { DEFAULT_RETRY, type RetryOptions, type RetryPolicy } from "./retryPolicy.ts";
import type { FetchLike, RetryListener } from "./transport.ts";

export interface AccountsClientOptions {
  /** Where the API is, e.g. `https://accounts.internal:3000` (a path prefix is kept). */
  baseUrl: string;
  /** The client's API key (`Authorization: Bearer`). Never logged by this client. */
  apiKey: string;
  /** Time for one attempt of one request, answer included (default 10 s; long polls add their wait). */
  timeoutMs?: number;
  /** Retries of requests that got no answer or a 502/503/504; false sends every request once. */
  retry?: RetryOptions | false;
  /** Automatic batching of `submit`; false sends each submit as its own `POST /v1/operations`. */
  batching?: BatchingOptions | false;
  /** Told about every retry (logs, metrics). */
  onRetry?: RetryListener;
  /** The `fetch` to use (default: Node's global fetch, with its pooled keep-alive connections). */
  fetch?: FetchLike;
}

export interface ResolvedOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  retry: RetryPolicy | false;
  batching: BatchingPolicy | false;
  onRetry: RetryListener | undefined;
  fetch: FetchLike;
}

function positive(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a ${integer ? "whole " : ""}number >= 0, got ${value}`);
  }
  return value;
}

/** Options with their defaults, checked once (a RangeError or TypeError names the bad one). */
export function resolveOptions(options: AccountsClientOptions): ResolvedOptions {
  if (!options || typeof options.baseUrl !== "string" || !URL.canParse(options.baseUrl)) {
    throw new TypeError("baseUrl must be an absolute URL, e.g. http://127.0.0.1:3000");
  }
  if (typeof options.apiKey !== "string" || options.apiKey.length === 0) {
    throw new TypeError("apiKey must be the client's API key");
  }
  const retry = options.retry;
  const batching = options.batching;
  const fetchFn = options.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== "function") throw new TypeError("no fetch: run on Node.js 20 or later, or pass one");
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    apiKey: options.apiKey,
    timeoutMs: positive("timeoutMs", options.timeoutMs, 10_000) || 10_000,
    retry:
      retry === false
        ? false
        : {
            maxElapsedMs: positive("retry.maxElapsedMs", retry?.maxElapsedMs, DEFAULT_RETRY.maxElapsedMs),
            initialDelayMs: positive(
              "retry.initialDelayMs",
              retry?.initialDelayMs,
              DEFAULT_RETRY.initialDelayMs,
            ),
            maxDelayMs: positive("retry.maxDelayMs", retry?.maxDelayMs, DEFAULT_RETRY.maxDelayMs),
          },
    batching:
      batching === false
        ? false
        : {
            windowMs: positive("batching.windowMs", batching?.windowMs, DEFAULT_BATCHING.windowMs),
            maxOperations: Math.min(
              1000,
              Math.max(
                1,
                positive(
                  "batching.maxOperations",
                  batching?.maxOperations,
                  DEFAULT_BATCHING.maxOperations,
                  true,
                ),
              ),
            ),
            maxBytes: Math.min(
              1024 * 1024 - 64,
              Math.max(
                1024,
                positive("batching.maxBytes", batching?.maxBytes, DEFAULT_BATCHING.maxBytes, true),
              ),
            ),
            maxConcurrentBatches: Math.max(
              1,
              positive(
                "batching.maxConcurrentBatches",
                batching?.maxConcurrentBatches,
                DEFAULT_BATCHING.maxConcurrentBatches,
                true,
              ),
            ),
          },
    onRetry: options.onRetry,
    fetch: fetchFn,
  };
}
