import type { Context } from "hono";

/** The stable, machine-readable error codes of API.md. */
export type ErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  /** 404 of `GET /v1/accounts/{userId}/balances/{currency}` for a code not in the currency table (API.md). */
  | "unknown_currency"
  | "method_not_allowed"
  | "idempotency_key_reused"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "unavailable"
  | "internal";

function statusOf(code: ErrorCode): 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503 {
  switch (code) {
    case "invalid_request":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
    case "unknown_currency":
      return 404;
    case "method_not_allowed":
      return 405;
    case "idempotency_key_reused":
      return 409;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "rate_limited":
      return 429;
    case "unavailable":
      return 503;
    case "internal":
      return 500;
  }
}

const TITLES: Record<ErrorCode, string> = {
  invalid_request: "Invalid request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not found",
  unknown_currency: "Unknown currency",
  method_not_allowed: "Method not allowed",
  idempotency_key_reused: "Idempotency key reused",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  rate_limited: "Too many requests",
  unavailable: "Service unavailable",
  internal: "Internal error",
};

export interface FieldError {
  path: string;
  message: string;
}

/** The RFC 9457 problem document every error answer carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
  requestId: string;
}

/** The API's one error type: thrown anywhere in a request, rendered by the app's error handler. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly options: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
  ) {
    super(detail);
  }

  get status(): number {
    return statusOf(this.code);
  }
}

export function problemOf(
  code: ErrorCode,
  detail: string,
  requestId: string,
  errors?: FieldError[],
): Problem {
  return {
    type: `https://docs.accounts.local/errors/${code}`,
    title: TITLES[code],
    status: statusOf(code),
    code,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
    requestId,
  };
}

/** Renders a problem document (with Retry-After where the code asks the caller to come back). */
export function renderProblem(
  c: Context,
  code: ErrorCode,
  detail: string,
  options: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? "";
  const problem = problemOf(code, detail, requestId, options.errors);
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (options.retryAfterSeconds !== undefined)
    headers["retry-after"] = String(Math.max(1, Math.ceil(options.retryAfterSeconds)));
  else if (code === "unavailable" || code === "rate_limited") headers["retry-after"] = "1";
  if (requestId) headers["x-request-id"] = requestId;
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}
