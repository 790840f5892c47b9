import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountsClient } from "../client.ts";
import { IdempotencyKeyReusedError, InvalidRequestError } from "../errors.ts";
import type { FetchLike } from "../transport.ts";
import type { OperationRequest, SubmitResult } from "../types.ts";
import { type Caller, createCaller, recordingFetch, runId } from "./support.ts";

// Automatic batching against the real API and worker: concurrent submits travel together, every
// caller gets its own answer, an invalid operation fails only its caller, and order per user holds.

let stack: AppStack;
let caller: Caller;

beforeAll(async () => {
  stack = await startAppStack({ workers: 1 });
  caller = await createCaller(stack, "batching-tests", [
    "operations:write",
    "operations:read",
    "accounts:read",
  ]);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

function client(fetch?: FetchLike, batching?: ConstructorParameters<typeof AccountsClient>[0]["batching"]) {
  return new AccountsClient({
    baseUrl: stack.apiUrl,
    apiKey: caller.apiKey,
    ...(fetch ? { fetch } : {}),
    ...(batching !== undefined ? { batching } : {}),
  });
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

describe("automatic batching", () => {
  it("sends 500 concurrent submits in far fewer requests, and answers each caller its own operation", async () => {
    const { fetch, sent } = recordingFetch();
    const accounts = client(fetch);
    const run = runId("b500");
    const operations = Array.from(
      { length: 500 },
      (_, i): OperationRequest => ({
        type: "credit",
        account: { userId: `${run}-${i}`, currency: "USDT" },
        amount: `${i + 1}`,
        metadata: { caller: i },
      }),
    );
    const results = await Promise.all(operations.map((operation) => accounts.submit(operation)));

    expect(sent.every((r) => r.path === "/v1/operations/batch")).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(25);
    expect(new Set(results.map((r) => r.id)).size).toBe(500);
    // Each id is its caller's operation: the API stored that caller's request under it.
    await eachLimited([...results.keys()], 25, async (i) => {
      const operation = await accounts.waitForOperation((results[i] as SubmitResult).id, {
        timeoutMs: 30_000,
      });
      expect(operation).toMatchObject({ status: "applied", metadata: { caller: i } });
      expect(operation.request).toMatchObject({ account: { userId: `${run}-${i}` }, amount: `${i + 1}` });
    });
    await accounts.close();
  });

  it("fails an invalid operation alone: refused locally, refused by the API, or a reused key", async () => {
    const { fetch, sent } = recordingFetch();
    const accounts = client(fetch);
    const run = runId("bbad");
    await accounts.submit(
      { type: "credit", account: { userId: `${run}-x`, currency: "USDT" }, amount: "1" },
      { idempotencyKey: `${run}-used` },
    );
    const requestsBefore = sent.length;
    const invalid = new Map<number, (error: unknown) => void>([
      [17, (e) => expect((e as InvalidRequestError).errors[0]?.path).toBe("amount")],
      [
        42,
        (e) =>
          expect((e as InvalidRequestError).errors).toEqual([
            { path: "amount", message: expect.any(String) },
          ]),
      ],
      [99, (e) => expect((e as InvalidRequestError).errors[0]?.path).toBe("account.currency")],
      [150, (e) => expect(e).toBeInstanceOf(IdempotencyKeyReusedError)],
      [151, (e) => expect((e as InvalidRequestError).errors[0]?.path).toBe("idempotencyKey")],
    ]);
    const submissions = Array.from({ length: 300 }, (_, i) => {
      const account = { userId: `${run}-${i}`, currency: i === 99 ? "ZZZ" : "USD" };
      // 17: not a decimal string (the client refuses it); 42: three decimals for USD (the API does).
      const amount = i === 17 ? "1e3" : i === 42 ? "1.001" : "2.5";
      const key = i === 150 ? `${run}-used` : i === 151 ? "no spaces allowed" : `${run}-k${i}`;
      return accounts.submit({ type: "credit", account, amount }, { idempotencyKey: key });
    });
    const outcomes = await Promise.allSettled(submissions);
    outcomes.forEach((outcome, i) => {
      const check = invalid.get(i);
      if (check) {
        expect(outcome.status, `submission ${i}`).toBe("rejected");
        const reason = (outcome as PromiseRejectedResult).reason;
        if (i !== 150) expect(reason).toBeInstanceOf(InvalidRequestError);
        check(reason);
      } else {
        expect(outcome.status, `submission ${i}`).toBe("fulfilled");
        expect((outcome as PromiseFulfilledResult<SubmitResult>).value).toMatchObject({ status: "accepted" });
      }
    });
    // A refused batch costs a few more requests (the refusal, then the rest again), not one per operation.
    expect(sent.length - requestsBefore).toBeLessThanOrEqual(10);
    const ids = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value.id] : []));
    expect(new Set(ids).size).toBe(295);
    await accounts.close();
  });

  it("keeps per-account order for callers that await each submit", async () => {
    const accounts = client();
    const run = runId("border");
    const callers = 20;
    const steps = 20;
    // Credit then debit the same amount, again and again: a debit applied before its credit would
    // be rejected (insufficient funds), and the balance would not come back to zero.
    const ids: string[][] = [];
    await Promise.all(
      Array.from({ length: callers }, async (_, c) => {
        const account = { userId: `${run}-${c}`, currency: "USDT" };
        const mine: string[] = [];
        for (let s = 0; s < steps; s++) {
          const type = s % 2 === 0 ? "credit" : "debit";
          mine.push((await accounts.submit({ type, account, amount: `${(s >> 1) + 1}` })).id);
        }
        ids[c] = mine;
      }),
    );
    await eachLimited(ids.flat(), 25, async (id) => {
      expect((await accounts.waitForOperation(id, { timeoutMs: 30_000 })).status).toBe("applied");
    });
    for (let c = 0; c < callers; c++) {
      expect(await accounts.balance(`${run}-${c}`, "USDT")).toMatchObject({
        total: "0.000000",
        version: steps,
      });
    }
    await accounts.close();
  });

  it("never has two requests in flight that share a user, even for callers that do not await", async () => {
    const recorder = recordingFetch();
    const usersIn = (body: string | undefined) =>
      new Set(
        (JSON.parse(body ?? "{}") as { operations?: { account: { userId: string } }[] }).operations?.map(
          (o) => o.account.userId,
        ),
      );
    let overlaps = 0;
    let mostInFlight = 0;
    const watching: FetchLike = (url, init) => {
      const users = usersIn(init.body as string);
      const others = recorder.inFlight();
      mostInFlight = Math.max(mostInFlight, others.length + 1);
      for (const other of others) for (const user of usersIn(other.body)) if (users.has(user)) overlaps += 1;
      return recorder.fetch(url, init);
    };
    // Small batches, so that one user's operations need many requests.
    const accounts = client(watching, { maxOperations: 4, windowMs: 0 });
    const run = runId("bgate");
    const users = Array.from({ length: 6 }, (_, u) => `${run}-${u}`);
    // Fired without awaiting: 40 operations per user, credit then debit of the same amount.
    const submitted = users.flatMap((userId) =>
      Array.from({ length: 40 }, (_, s) =>
        accounts.submit({
          type: s % 2 === 0 ? "credit" : "debit",
          account: { userId, currency: "USDT" },
          amount: `${(s >> 1) + 1}`,
        }),
      ),
    );
    const results = await Promise.all(submitted);
    expect(recorder.sent.length).toBeGreaterThanOrEqual(60);
    expect(mostInFlight).toBeGreaterThan(1); // different users did travel in parallel
    expect(overlaps).toBe(0);
    await eachLimited(results, 25, async ({ id }) => {
      expect((await accounts.waitForOperation(id, { timeoutMs: 30_000 })).status).toBe("applied");
    });
    for (const userId of users) {
      expect(await accounts.balance(userId, "USDT")).toMatchObject({ total: "0.000000", version: 40 });
    }
    await accounts.close();
  });
});
