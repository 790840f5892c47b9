import { Client, errors } from "undici";
import type { JsonObject } from "./operationMix.ts";

/** What one HTTP attempt came to. */
export type Attempt =
  | { kind: "answer"; status: number; body: JsonObject }
  /** No answer within the timeout: the request may or may not have been taken. */
  | { kind: "timeout" }
  /** Refused, reset or closed before a whole answer: may or may not have been taken. */
  | { kind: "connection"; code: string };

/** A short label for counting attempts: the status code, `timeout` or `connection`. */
export function attemptLabel(attempt: Attempt): string {
  return attempt.kind === "answer" ? String(attempt.status) : attempt.kind;
}

/** True for the answers a real caller retries: no answer, 5xx, 429. */
export function isRetryable(attempt: Attempt): boolean {
  return attempt.kind !== "answer" || attempt.status >= 500 || attempt.status === 429;
}

/**
 * One keep-alive HTTP connection to the API with one client's key, as a calling service holds it.
 * A connection the server dropped (a killed API) is opened again by the next request.
 *
 * @example
 * const connection = new ApiConnection(stack.apiUrl, key);
 * const attempt = await connection.post("/v1/operations", body, { "idempotency-key": "k-1" });
 */
export class ApiConnection {
  readonly #client: Client;
  readonly #key: string;

  constructor(apiUrl: string, key: string, options: { timeoutMs?: number } = {}) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#client = new Client(apiUrl, {
      pipelining: 1,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 5_000),
    });
    this.#key = key;
  }

  post(path: string, body: JsonObject, headers: Record<string, string> = {}): Promise<Attempt> {
    return this.request("POST", path, JSON.stringify(body), {
      "content-type": "application/json",
      ...headers,
    });
  }

  get(path: string): Promise<Attempt> {
    return this.request("GET", path, undefined, {});
  }

  async request(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<Attempt> {
    try {
      const answer = await this.#client.request({
        method,
        path,
        headers: { authorization: `Bearer ${this.#key}`, ...headers },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await answer.body.text();
      return { kind: "answer", status: answer.statusCode, body: parseBody(text) };
    } catch (error) {
      if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) {
        return { kind: "timeout" };
      }
      const code = (error as { code?: unknown }).code;
      return { kind: "connection", code: typeof code === "string" ? code : String(error) };
    }
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/** The answer's JSON object; anything else (an HTML error page, a cut body) kept as `{ text }`. */
function parseBody(text: string): JsonObject {
  if (text === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : { value };
  } catch {
    return { text };
  }
}
