/** The error codes docs/api.md documents, with the status each one comes with. */
export const DOCUMENTED_ERRORS: Readonly<Record<string, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_currency: 404,
  idempotency_key_reused: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
};

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * What is wrong with an answer to a hostile request, or undefined when it keeps the contract: a
 * 2xx, or a documented 4xx as an `application/problem+json` document whose code, status and request
 * id agree with the answer, and never a stack trace or SQL. Never a 5xx.
 *
 * @example
 * const problem = contractBreach(answer); // "500 internal: ..." or undefined
 */
export function contractBreach(answer: Answer): string | undefined {
  const { status, headers, text } = answer;
  const requestId = headers.get("x-request-id");
  if (!requestId || !/^[A-Za-z0-9._:-]{1,128}$/.test(requestId))
    return `X-Request-Id missing or unsafe: ${requestId}`;
  if (status >= 200 && status < 300) return undefined;
  if (status >= 500) return `${status}: ${text.slice(0, 300)}`;
  if (!(headers.get("content-type") ?? "").startsWith("application/problem+json")) {
    return `${status} without a problem document: ${text.slice(0, 200)}`;
  }
  let problem: { code?: unknown; status?: unknown; requestId?: unknown };
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const code = String(problem.code);
  if (DOCUMENTED_ERRORS[code] !== status) return `${status} with undocumented code ${code}`;
  if (problem.status !== status) return `problem status ${String(problem.status)} on a ${status}`;
  if (problem.requestId !== requestId) return "problem requestId differs from X-Request-Id";
  if (/\bat .+:\d+:\d+|SELECT |INSERT |node_modules/.test(text))
    return `leaks internals: ${text.slice(0, 200)}`;
  return undefined;
}
