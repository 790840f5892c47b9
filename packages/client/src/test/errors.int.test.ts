import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountsClient } from "../client.ts";
import {
  ClientClosedError,
  ConnectionError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  NotFoundError,
  RateLimitedError,
  RequestTimeoutError,
  UnauthorizedError,
  WaitTimeoutError,
} from "../errors.ts";
import type { OperationRequest } from "../types.ts";
import { type Caller, createCaller, recordingFetch, runId } from "./support.ts";

// The client's typed errors, each from a real answer of the API (or a real failure to get one):
// the class, the problem document, the request id, and whether it was retried.

let stack: AppStack;
let caller: Caller;
const others = {} as { reader: Caller; limited: Caller; otherReader: Caller };

beforeAll(async () => {
  stack = await startAppStack({ workers: 1 });
  [caller, others.reader, others.limited, others.otherReader] = await Promise.all([
    createCaller(stack, "error-tests", ["operations:write", "operations:read", "accounts:read"]),
    createCaller(stack, "reader-only", ["accounts:read"]),
    createCaller(stack, "slow-caller", ["accounts:read"], { rateLimit: 1 }),
    createCaller(stack, "other-reader", ["operations:read"]),
  ]);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

function client(options: Partial<ConstructorParameters<typeof AccountsClient>[0]> = {}): AccountsClient {
  return new AccountsClient({ baseUrl: stack.apiUrl, apiKey: caller.apiKey, ...options });
}

const credit = (userId: string, amount: string, currency = "USDT"): OperationRequest => ({
  type: "credit",
  account: { userId, currency },
  amount,
});

describe("typed errors", () => {
  it("401 UnauthorizedError and 403 ForbiddenError carry the problem document and request id", async () => {
    const stranger = client({ apiKey: "ak_0000000000000000_not-a-key-of-this-api-000000000000" });
    const unauthorized = await stranger.currencies().catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(UnauthorizedError);
    expect(unauthorized).toMatchObject({ status: 401, code: "unauthorized", problem: { status: 401 } });
    expect((unauthorized as UnauthorizedError).requestId).toBeTruthy();

    const reader = others.reader;
    const accounts = client({ apiKey: reader.apiKey });
    const forbidden = await Promise.allSettled([
      accounts.submit(credit("f1", "1")),
      accounts.submit(credit("f2", "1")),
    ]);
    for (const outcome of forbidden) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ForbiddenError);
    }
    await accounts.close();
  });

  it("409 IdempotencyKeyReusedError for a key used with another body", async () => {
    const accounts = client();
    const user = runId("reuse");
    await accounts.submit(credit(user, "1"), { idempotencyKey: `${user}-k` });
    const error = await accounts
      .submit(credit(user, "2"), { idempotencyKey: `${user}-k` })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(error).toMatchObject({ status: 409, code: "idempotency_key_reused" });
    await accounts.close();
  });

  it("400 InvalidRequestError from the API for what only it can check (scale, currency), per operation", async () => {
    const accounts = client();
    const user = runId("scale");
    const [tooPrecise, unregistered] = await Promise.allSettled([
      accounts.submit(credit(user, "1.001", "USD")),
      accounts.submit(credit(user, "1", "ZZZ")),
    ]);
    const first = (tooPrecise as PromiseRejectedResult).reason as InvalidRequestError;
    expect(first).toBeInstanceOf(InvalidRequestError);
    expect(first.errors).toEqual([{ path: "amount", message: expect.stringContaining("2 decimals") }]);
    expect(first.requestId).toBeTruthy();
    const second = (unregistered as PromiseRejectedResult).reason as InvalidRequestError;
    expect(second.errors).toEqual([{ path: "account.currency", message: expect.stringContaining("ZZZ") }]);
    await accounts.close();
  });

  it("429 RateLimitedError with retryAfter, never retried", async () => {
    const limited = others.limited;
    const { fetch, sent } = recordingFetch();
    const accounts = client({ apiKey: limited.apiKey, fetch });
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => accounts.currencies()));
    const errors = outcomes
      .filter((o) => o.status === "rejected")
      .map((o) => (o as PromiseRejectedResult).reason);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(RateLimitedError);
    expect(errors[0]).toMatchObject({ status: 429, code: "rate_limited" });
    expect((errors[0] as RateLimitedError).retryAfter).toBeGreaterThanOrEqual(1);
    expect(sent).toHaveLength(4);
  });

  it("404 NotFoundError for an operation of no one (or of another client)", async () => {
    const accounts = client();
    const { id } = await accounts.submit(credit(runId("mine"), "1"));
    const other = others.otherReader;
    const error = await client({ apiKey: other.apiKey })
      .getOperation(id)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: "not_found", status: 404 });
    await accounts.close();
  });

  it("ConnectionError once the retry budget is spent, RequestTimeoutError when no answer comes", async () => {
    const closed = new AccountsClient({
      baseUrl: "http://127.0.0.1:9",
      apiKey: caller.apiKey,
      retry: { maxElapsedMs: 300, initialDelayMs: 10 },
    });
    const refused = await closed.currencies().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectionError);
    expect((refused as ConnectionError).attempts).toBeGreaterThan(1);

    const silent: Server = createServer(() => {}); // takes requests, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const slow = new AccountsClient({
        baseUrl: `http://127.0.0.1:${port}`,
        apiKey: caller.apiKey,
        timeoutMs: 200,
        retry: false,
      });
      const timedOut = await slow.currencies().catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(RequestTimeoutError);
      expect(timedOut).toMatchObject({ code: "timeout", attempts: 1 });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("WaitTimeoutError when the operation is not final in time; ClientClosedError after close", async () => {
    const accounts = client();
    // Stop the worker: the operation is accepted and stays so.
    const worker = stack.process("worker-1");
    await worker.stop();
    try {
      const error = await accounts
        .submitAndWait(credit(runId("late"), "1"), { timeoutMs: 1_500 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect(error).toMatchObject({ code: "wait_timeout", operation: { status: "accepted" } });
    } finally {
      await worker.start();
    }
    await accounts.close();
    await expect(accounts.submit(credit("z", "1"))).rejects.toBeInstanceOf(ClientClosedError);
  });
});
