import { waitFor } from "@accounts/tests/harness";
import { expect } from "vitest";

/** A JSON object as the API answers it; tests narrow it with the view types below. */
export type JsonObject = { [key: string]: unknown };

export interface BalanceView {
  userId: string;
  currency: string;
  available: string;
  reserved: string;
  total: string;
  version: number;
}

export interface OperationView {
  id: string;
  type: string;
  status: "accepted" | "applied" | "rejected" | "failed";
  request?: JsonObject;
  metadata?: JsonObject;
  acceptedAt: string;
  finishedAt?: string;
  balances?: BalanceView[];
  rejection?: { code: string; message: string };
}

export interface Entry {
  operationId: string;
  currency: string;
  bucket: "available" | "reserved";
  amount: string;
  balanceAfter: string;
  version: number;
  createdAt: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  requestId: string;
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
  /** Milliseconds from sending the request to reading the whole answer. */
  ms: number;
}

/** A raw request body (what fetch takes). */
export type RawBody = NonNullable<RequestInit["body"]>;

export interface CallOptions {
  /** A JSON value (serialised) or a raw string/stream sent as is. */
  json?: unknown;
  raw?: RawBody;
  headers?: Record<string, string>;
  /** Send no Authorization header at all. */
  anonymous?: boolean;
}

/** RFC 3339 UTC with milliseconds, as docs/api.md promises for every timestamp. */
export const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A caller of the accounts API over HTTP, holding one API key. Every answer is checked against the
 * conventions that hold for all of them: an `X-Request-Id` header, and for errors an
 * `application/problem+json` document with its `code`, matching `status` and `requestId`.
 */
export class HttpApi {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  as(key: string): HttpApi {
    return new HttpApi(this.baseUrl, key);
  }

  async call<T = JsonObject>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (!options.anonymous) headers.authorization ??= `Bearer ${this.key}`;
    let body: RawBody | undefined = options.raw;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] ??= "application/json";
    }
    const started = performance.now();
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    if (body !== undefined) init.body = body;
    if (body instanceof ReadableStream) init.duplex = "half";
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    const ms = performance.now() - started;
    const parsed = text === "" ? {} : (JSON.parse(text) as T);
    checkConventions(method, path, res, parsed);
    return { status: res.status, headers: res.headers, body: parsed as T, ms };
  }

  submit(operation: JsonObject, idempotencyKey?: string): Promise<Reply<JsonObject>> {
    return this.call("POST", "/v1/operations", {
      json: operation,
      ...(idempotencyKey !== undefined ? { headers: { "idempotency-key": idempotencyKey } } : {}),
    });
  }

  /** Submits and expects the 202; returns the operation id. */
  async accept(operation: JsonObject, idempotencyKey?: string): Promise<string> {
    const reply = await this.submit(operation, idempotencyKey);
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    expect(reply.body.status).toBe("accepted");
    expect(reply.headers.get("location")).toBe(`/v1/operations/${reply.body.id}`);
    return reply.body.id as string;
  }

  getOperation(id: string, waitSeconds?: number): Promise<Reply<OperationView>> {
    const query = waitSeconds === undefined ? "" : `?wait=${waitSeconds}`;
    return this.call<OperationView>("GET", `/v1/operations/${id}${query}`);
  }

  /** Long-polls (`?wait=5`) until the operation is applied or rejected, and returns it. */
  final(id: string, timeoutMs = 20_000): Promise<OperationView> {
    return waitFor(
      async () => {
        const reply = await this.getOperation(id, 5);
        expect(reply.status).toBe(200);
        const done = reply.body.status === "applied" || reply.body.status === "rejected";
        return done ? reply.body : undefined;
      },
      { timeoutMs, intervalMs: 10, message: `operation ${id} final` },
    );
  }

  /** Submits, waits until final, and returns the final representation. */
  async run(operation: JsonObject, idempotencyKey?: string): Promise<OperationView> {
    return this.final(await this.accept(operation, idempotencyKey));
  }

  async balance(userId: string, currency: string, at?: string): Promise<BalanceView & JsonObject> {
    const query = at === undefined ? "" : `?at=${encodeURIComponent(at)}`;
    const reply = await this.call<BalanceView & JsonObject>(
      "GET",
      `/v1/accounts/${userId}/balances/${currency}${query}`,
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body;
  }

  /** Every entry of an account, following `nextCursor` page by page. Returns the pages. */
  async entryPages(userId: string, query: Record<string, string> = {}): Promise<Entry[][]> {
    const pages: Entry[][] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
      const reply: Reply<{ entries: Entry[]; nextCursor: string | null }> = await this.call(
        "GET",
        `/v1/accounts/${userId}/entries?${params}`,
      );
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      pages.push(reply.body.entries);
      cursor = reply.body.nextCursor;
      if (pages.length > 10_000) throw new Error("entries pagination never ends");
    } while (cursor !== null);
    return pages;
  }
}

function checkConventions(method: string, path: string, res: Response, body: unknown): void {
  const where = `${method} ${path} -> ${res.status}`;
  const requestId = res.headers.get("x-request-id");
  expect(requestId, `${where}: X-Request-Id`).toBeTruthy();
  if (res.status < 400) return;
  expect(res.headers.get("content-type"), `${where}: problem content type`).toMatch(
    /^application\/problem\+json/,
  );
  const problem = body as Partial<Problem>;
  expect(typeof problem.code, `${where}: problem code`).toBe("string");
  expect(problem.status, `${where}: problem status`).toBe(res.status);
  expect(problem.requestId, `${where}: problem requestId`).toBe(requestId);
  expect(JSON.stringify(body), `${where}: no stack trace or SQL`).not.toMatch(
    /\bat .+:\d+:\d+|SELECT |INSERT /,
  );
}

/** Asserts a problem answer: status, code and (optionally) the set of paths named in `errors`. */
export function expectProblem(
  reply: Reply<unknown>,
  status: number,
  code: string,
  paths?: string[],
): Problem {
  const problem = reply.body as Problem;
  expect(reply.status, JSON.stringify(problem)).toBe(status);
  expect(problem.code, JSON.stringify(problem)).toBe(code);
  if (paths) {
    const named = [...new Set((problem.errors ?? []).map((e) => e.path))].sort();
    expect(named, JSON.stringify(problem.errors)).toEqual([...paths].sort());
  }
  return problem;
}
