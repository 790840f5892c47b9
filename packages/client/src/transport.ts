import {
  type AccountsError,
  ConnectionError,
  errorFromProblem,
  problemOfStatus,
  RequestTimeoutError,
} from "./errors.ts";
import {
  classifyNoAnswer,
  isRetryableStatus,
  type NoAnswer,
  nextDelay,
  type RetryPolicy,
  retryAfterMs,
} from "./retryPolicy.ts";
import type { Problem } from "./types.ts";

/** The subset of `fetch` the client uses (pass your own to add a proxy, tracing or a custom agent). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Told about every retry (for logs and metrics): what failed, which attempt comes next, after how long. */
export type RetryListener = (event: {
  method: string;
  path: string;
  /** The attempt about to be made (2 for the first retry). */
  attempt: number;
  delayMs: number;
  error: AccountsError;
}) => void;

export interface TransportConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** false: every request is sent once. */
  retry: RetryPolicy | false;
  fetch: FetchLike;
  userAgent: string;
  onRetry: RetryListener | undefined;
}

export interface HttpRequest {
  method: "GET" | "POST";
  /** Path and query, e.g. `/v1/operations/op_...?wait=5`. */
  path: string;
  /** The exact bytes to send (and to resend on a retry). */
  body?: string;
  headers?: Record<string, string>;
  /** Overrides the configured request timeout (long polls wait longer). */
  timeoutMs?: number;
}

export interface HttpAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Immediate retries of requests that died on a closed keep-alive connection, before backing off. */
const MAX_IMMEDIATE_RETRIES = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends requests to the API with the retry rules of `retryPolicy.ts`, and turns error answers into
 * typed errors. One instance per client; connections are pooled and kept alive by `fetch` (undici).
 */
export class Transport {
  constructor(private readonly config: TransportConfig) {}

  get retryPolicy(): RetryPolicy | false {
    return this.config.retry;
  }

  /** Tells the listener about a retry (also those made outside the transport: a batch's items). */
  notifyRetry(event: Parameters<RetryListener>[0]): void {
    try {
      this.config.onRetry?.(event);
    } catch {
      // A failing listener (a log sink) must not stop the retry it is told about.
    }
  }

  /**
   * Sends `request` until it gets an answer that is not retryable or the retry budget is spent.
   * Resolves with a 2xx answer's JSON; rejects with an {@link AccountsError}.
   *
   * @example
   * const { body } = await transport.send<{ currencies: Currency[] }>({ method: "GET", path: "/v1/currencies" });
   */
  async send<T>(request: HttpRequest): Promise<HttpAnswer<T>> {
    const started = Date.now();
    const policy = this.config.retry;
    // Requests that died on a connection the server had closed, in a row since the first attempt.
    let dropped = 0;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt<T>(request, attempt);
      if (outcome.ok) return outcome.answer;
      const { error } = outcome;
      if (!policy || !outcome.retryable) throw error;
      dropped = outcome.noAnswer === "dropped" && dropped === attempt - 1 ? attempt : dropped;
      const delay = nextDelay(
        {
          attempt: attempt - 1,
          elapsedMs: Date.now() - started,
          retryAfterMs: outcome.retryAfterMs,
          // A pooled keep-alive connection that the server had closed fails at once, and only that
          // connection was bad: the retry goes out immediately on another one. A few in a row (the
          // pool held several closed ones); beyond, the server drops every connection: back off.
          immediate: dropped === attempt && attempt <= MAX_IMMEDIATE_RETRIES,
        },
        policy,
      );
      if (delay === undefined) throw error;
      this.notifyRetry({
        method: request.method,
        path: request.path,
        attempt: attempt + 1,
        delayMs: delay,
        error,
      });
      if (delay > 0) await sleep(delay);
    }
  }

  async #attempt<T>(
    request: HttpRequest,
    attempt: number,
  ): Promise<
    | { ok: true; answer: HttpAnswer<T> }
    | { ok: false; error: AccountsError; retryable: boolean; retryAfterMs?: number; noAnswer?: NoAnswer }
  > {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.config.apiKey}`,
      accept: "application/json",
      "user-agent": this.config.userAgent,
      ...request.headers,
    };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    const timeoutMs = request.timeoutMs ?? this.config.timeoutMs;
    let response: Response;
    let text: string;
    try {
      const init: RequestInit = { method: request.method, headers, signal: AbortSignal.timeout(timeoutMs) };
      if (request.body !== undefined) init.body = request.body;
      response = await this.config.fetch(`${this.config.baseUrl}${request.path}`, init);
      text = await response.text();
    } catch (cause) {
      const kind = classifyNoAnswer(cause);
      if (kind === undefined) throw cause;
      const where = `${request.method} ${request.path}`;
      const error =
        kind === "timeout"
          ? new RequestTimeoutError(
              `${where}: no answer within ${timeoutMs} ms (attempt ${attempt})`,
              attempt,
              { cause },
            )
          : new ConnectionError(`${where}: ${describe(cause)} (attempt ${attempt})`, attempt, { cause });
      return { ok: false, error, retryable: true, noAnswer: kind };
    }
    if (response.ok) {
      try {
        return {
          ok: true,
          answer: { status: response.status, headers: response.headers, body: JSON.parse(text) as T },
        };
      } catch {
        // A 2xx whose body is not JSON (cut by a proxy): the request may have been done; only a retry
        // (with the same idempotency key for a submission) can tell, and it is safe.
        const detail = `the answer to ${request.method} ${request.path} is not JSON`;
        const requestId = response.headers.get("x-request-id") ?? undefined;
        return {
          ok: false,
          error: errorFromProblem(problemOfStatus(502, detail, requestId)),
          retryable: true,
        };
      }
    }
    const retryAfter = retryAfterMs(response.headers.get("retry-after"));
    const error = errorFromProblem(
      problemOf(response, text),
      retryAfter === undefined ? undefined : Math.ceil(retryAfter / 1000),
    );
    return {
      ok: false,
      error,
      retryable: isRetryableStatus(response.status),
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    };
  }
}

/** The problem document of an error answer, or one made from its status when it carries none. */
function problemOf(response: Response, text: string): Problem {
  const requestId = response.headers.get("x-request-id") ?? undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (parsed && typeof parsed.code === "string" && typeof parsed.status === "number") {
      return {
        type: String(parsed.type ?? "about:blank"),
        title: String(parsed.title ?? ""),
        status: parsed.status,
        code: parsed.code,
        detail: String(parsed.detail ?? ""),
        ...(Array.isArray(parsed.errors) ? { errors: parsed.errors } : {}),
        requestId: String(parsed.requestId ?? requestId ?? ""),
      };
    }
  } catch {
    // not JSON: a proxy's page, an empty body
  }
  return problemOfStatus(response.status, text.slice(0, 200) || response.statusText, requestId);
}

function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${code} ${cause.message}` : cause.message;
  }
  return String(error);
}
