import type { FieldError, Operation, Problem } from "./types.ts";

/**
 * Everything the client throws is an {@link AccountsError}: an answer of the API that is an error
 * ({@link ApiError} and its subclasses, one per problem `code`), a request that got no answer
 * ({@link ConnectionError}, {@link RequestTimeoutError}), a wait that ran out
 * ({@link WaitTimeoutError}) or a webhook that does not verify ({@link WebhookVerificationError}).
 * Business rejections (insufficient funds...) are not errors: they are operations with
 * `status: "rejected"`.
 */
export class AccountsError extends Error {
  override readonly name: string = "AccountsError";
  constructor(
    /** Stable, machine-readable: the problem's `code` for API errors, the client's own code otherwise. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An error answer of the API: the RFC 9457 problem document it carried, and its meaning. */
export class ApiError extends AccountsError {
  override readonly name: string = "ApiError";
  /** HTTP status of the answer (400 for an operation the client refused before sending). */
  readonly status: number;
  /** The request id the API logged the request under (quote it when reporting); undefined when the client refused the request itself. */
  readonly requestId: string | undefined;
  /** Seconds to wait before trying again, from the `Retry-After` header (429, 503). */
  readonly retryAfter: number | undefined;
  /** Field errors of an `invalid_request`: `path` in dotted form (`postings.0.amount`). */
  readonly errors: readonly FieldError[];

  constructor(
    readonly problem: Problem,
    options: { retryAfter?: number | undefined; cause?: unknown } = {},
  ) {
    super(problem.code, problemMessage(problem), { cause: options.cause });
    this.status = problem.status;
    this.requestId = problem.requestId === "" ? undefined : problem.requestId;
    this.retryAfter = options.retryAfter;
    this.errors = problem.errors ?? [];
  }
}

function problemMessage(problem: Problem): string {
  const fields = (problem.errors ?? []).slice(0, 5).map((e) => `${e.path}: ${e.message}`);
  const where = problem.requestId ? ` (request ${problem.requestId})` : "";
  return `${problem.status} ${problem.code}: ${problem.detail}${fields.length ? ` [${fields.join("; ")}]` : ""}${where}`;
}

/** 400 `invalid_request`: the request (or operation) is invalid; `errors` says where. Never retried. */
export class InvalidRequestError extends ApiError {
  override readonly name = "InvalidRequestError";
}
/** 401 `unauthorized`: missing, unknown or revoked API key. */
export class UnauthorizedError extends ApiError {
  override readonly name = "UnauthorizedError";
}
/** 403 `forbidden`: the key lacks the scope the call needs. */
export class ForbiddenError extends ApiError {
  override readonly name = "ForbiddenError";
}
/** 404 `not_found` (no such operation for this client), or `unknown_currency`. */
export class NotFoundError extends ApiError {
  override readonly name = "NotFoundError";
}
/** 409 `idempotency_key_reused`: the key was used before with a different body. */
export class IdempotencyKeyReusedError extends ApiError {
  override readonly name = "IdempotencyKeyReusedError";
}
/** 413 `payload_too_large`. */
export class PayloadTooLargeError extends ApiError {
  override readonly name = "PayloadTooLargeError";
}
/** 429 `rate_limited`: over the client's rate limit; `retryAfter` says when to come back. Not retried by the client. */
export class RateLimitedError extends ApiError {
  override readonly name = "RateLimitedError";
}
/** 503 `unavailable` (or a 502/504 from a proxy): nothing was accepted. Retried until the retry budget runs out. */
export class UnavailableError extends ApiError {
  override readonly name = "UnavailableError";
}
/** 500 `internal`: a bug in the API, logged there under `requestId`. */
export class InternalServerError extends ApiError {
  override readonly name = "InternalServerError";
}

const BY_CODE: Readonly<
  Record<string, new (problem: Problem, options?: { retryAfter?: number }) => ApiError>
> = {
  invalid_request: InvalidRequestError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  unknown_currency: NotFoundError,
  idempotency_key_reused: IdempotencyKeyReusedError,
  payload_too_large: PayloadTooLargeError,
  rate_limited: RateLimitedError,
  unavailable: UnavailableError,
  internal: InternalServerError,
};

/** The codes of statuses whose answer is not a problem document (a proxy's page, an empty body). */
const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "idempotency_key_reused",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  500: "internal",
  502: "unavailable",
  503: "unavailable",
  504: "unavailable",
};

/**
 * The typed error of a problem document.
 *
 * @example
 * errorFromProblem({ type: "...", title: "Forbidden", status: 403, code: "forbidden", detail: "...", requestId: "r1" })
 * // ForbiddenError { code: "forbidden", status: 403, requestId: "r1" }
 */
export function errorFromProblem(problem: Problem, retryAfter?: number): ApiError {
  const Class = BY_CODE[problem.code] ?? ApiError;
  return new Class(problem, retryAfter === undefined ? {} : { retryAfter });
}

/** A problem document for an answer that did not carry one (a proxy's 502 page, a truncated body). */
export function problemOfStatus(status: number, detail: string, requestId: string | undefined): Problem {
  const code = CODE_OF_STATUS[status] ?? (status >= 500 ? "internal" : "invalid_request");
  return {
    type: "about:blank",
    title: `HTTP ${status}`,
    status,
    code,
    detail,
    requestId: requestId ?? "",
  };
}

/** The request got no answer: the connection was refused, reset or closed, retries included. */
export class ConnectionError extends AccountsError {
  override readonly name: string = "ConnectionError";
  constructor(
    message: string,
    /** How many times the request was sent. */
    readonly attempts: number,
    options: { cause?: unknown; code?: string } = {},
  ) {
    super(options.code ?? "connection_failed", message, { cause: options.cause });
  }
}

/** No answer within the request timeout (`timeoutMs`), retries included. */
export class RequestTimeoutError extends ConnectionError {
  override readonly name = "RequestTimeoutError";
  constructor(message: string, attempts: number, options: { cause?: unknown } = {}) {
    super(message, attempts, { ...options, code: "timeout" });
  }
}

/** `submitAndWait` ran out of time before the operation was final; `operation` is its last known state. */
export class WaitTimeoutError extends AccountsError {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly operationId: string,
    readonly operation: Operation | undefined,
    timeoutMs: number,
  ) {
    super(
      "wait_timeout",
      `operation ${operationId} was not final after ${timeoutMs} ms (last status: ${operation?.status ?? "unknown"}); it stays accepted: poll it with getOperation`,
    );
  }
}

export type WebhookErrorCode =
  | "webhook_missing_headers"
  | "webhook_timestamp_invalid"
  | "webhook_signature_invalid"
  | "webhook_payload_invalid";

/** A webhook delivery that must not be trusted: answer it with a 4xx and do not act on it. */
export class WebhookVerificationError extends AccountsError {
  override readonly name = "WebhookVerificationError";
  constructor(code: WebhookErrorCode, message: string) {
    super(code, message);
  }
}

/** Submissions after `close()`. */
export class ClientClosedError extends AccountsError {
  override readonly name = "ClientClosedError";
  constructor() {
    super("client_closed", "the client is closed: no new submissions are taken");
  }
}
