import type { Context } from "hono";

/**
 * The stable, machine-readable error codes (docs/api.md, "Error codes"), each with the HTTP status
 * it always comes with and the title of its problem document. One table: the status of a code is
 * never decided anywhere else.
 */
const ERRORS = {
  invalid_request: { status: 400, title: "Invalid request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not found" },
  /** 404 of `GET /v1/accounts/{userId}/balances/{currency}` for a code not in the currency table. */
  unknown_currency: { status: 404, title: "Unknown currency" },
  idempotency_key_reused: { status: 409, title: "Idempotency key reused" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  rate_limited: { status: 429, title: "Too many requests" },
  unavailable: { status: 503, title: "Service unavailable" },
  internal: { status: 500, title: "Internal error" },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** Every error code, in the order of the table above (the OpenAPI document lists them). */
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

/** The HTTP status of an error code. */
export function statusOf(code: ErrorCode): (typeof ERRORS)[ErrorCode]["status"] {
  return ERRORS[code].status;
}

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
    title: ERRORS[code].title,
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
