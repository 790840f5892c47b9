import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/apiClients.ts";
import { expectProblem, HttpApi, type JsonObject, type OperationView } from "./support/httpApi.ts";

// Idempotency-Key replays and conflicts, single and batch: an operation is never applied twice.

let stack: AppStack;
let api: HttpApi;

beforeAll(async () => {
  stack = await startAppStack({ workers: 2 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
});
afterAll(async () => {
  await stack?.stop();
});

const credit = (userId: string, amount: string): JsonObject => ({
  type: "credit",
  account: { userId, currency: "USD" },
  amount,
});

const workers = () => stack.processes.filter((p) => p.app === "worker");

async function entryCount(userId: string): Promise<number> {
  return (await api.entryPages(userId, { limit: "1000" })).flat().length;
}

describe("POST /v1/operations with Idempotency-Key", () => {
  it("replays the same key and body: 202 while pending, 200 once final, same id, applied once", async () => {
    // With the workers stopped the operation stays pending, so the first replay must be a 202.
    await Promise.all(workers().map((w) => w.stop()));
    let id: string;
    try {
      id = await api.accept(credit("idem-1", "5"), "deposit-1");
      const pending = await api.submit(credit("idem-1", "5"), "deposit-1");
      expect(pending.status).toBe(202);
      expect(pending.headers.get("idempotent-replayed")).toBe("true");
      expect(pending.body).toMatchObject({ id, status: "accepted" });
      expect(pending.headers.get("location")).toBe(`/v1/operations/${id}`);
    } finally {
      await Promise.all(workers().map((w) => w.start()));
    }
    const applied = await api.final(id);
    expect(applied.status).toBe("applied");

    // The same body in another key order is the same body.
    const replays = await Promise.all(
      Array.from({ length: 5 }, () =>
        api.submit(
          { amount: "5", account: { currency: "USD", userId: "idem-1" }, type: "credit" },
          "deposit-1",
        ),
      ),
    );
    for (const replay of replays) {
      expect(replay.status).toBe(200);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.body).toEqual(applied);
    }
    expect(await api.balance("idem-1", "USD")).toMatchObject({ total: "5.00", version: 1 });
    expect(await entryCount("idem-1")).toBe(1);
  });

  it("applies once when the same key races from many connections", async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => api.submit(credit("idem-race", "1.25"), "race-1")),
    );
    const ids = new Set(replies.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const reply of replies) expect([200, 202]).toContain(reply.status);
    expect(replies.filter((r) => r.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    await api.final([...ids][0] as string);
    expect(await api.balance("idem-race", "USD")).toMatchObject({ total: "1.25", version: 1 });
    expect(await entryCount("idem-race")).toBe(1);
  });

  it("refuses the same key with a different body (409) and applies nothing of it", async () => {
    const id = await api.accept(credit("idem-2", "1"), "deposit-2");
    for (const other of [
      credit("idem-2", "2"),
      credit("idem-other", "1"),
      { ...credit("idem-2", "1"), metadata: {} },
    ]) {
      const reply = await api.submit(other, "deposit-2");
      const problem = expectProblem(reply, 409, "idempotency_key_reused");
      expect(problem.detail).toContain(id);
    }
    await api.final(id);
    expect(await api.balance("idem-2", "USD")).toMatchObject({ total: "1.00", version: 1 });
    expect(await api.balance("idem-other", "USD")).toMatchObject({ total: "0.00", version: 0 });
  });

  it("scopes keys to the calling client: another client's same key is its own operation", async () => {
    const other = await createApiClient(stack, {
      name: "idem-other-client",
      scopes: ["operations:write", "operations:read", "accounts:read"],
    });
    const mine = await api.accept(credit("idem-3", "1"), "shared-key");
    const theirs = await api.as(other.key).accept(credit("idem-3", "2"), "shared-key");
    expect(theirs).not.toBe(mine);
    await Promise.all([api.final(mine), api.as(other.key).final(theirs)]);
    expect(await api.balance("idem-3", "USD")).toMatchObject({ total: "3.00", version: 2 });
  });

  it("refuses a malformed Idempotency-Key", async () => {
    const reply = await api.call("POST", "/v1/operations", {
      json: credit("idem-4", "1"),
      headers: { "idempotency-key": "has spaces" },
    });
    expectProblem(reply, 400, "invalid_request");
  });
});

describe("POST /v1/operations/batch", () => {
  type Accepted = { id: string; status: string; replayed: boolean };
  type BatchResult = Accepted | { error: { code: string } };
  const batch = (operations: JsonObject[]) =>
    api.call<{ results: BatchResult[] }>("POST", "/v1/operations/batch", { json: { operations } });

  it("answers in request order with per-item keys, and replays keyed items", async () => {
    const items = [
      { idempotencyKey: "b-1", ...credit("batch-1", "1") },
      { idempotencyKey: "b-2", ...credit("batch-2", "2") },
      credit("batch-1", "4"),
      {
        idempotencyKey: "b-3",
        type: "reserve",
        account: { userId: "batch-1", currency: "USD" },
        amount: "0.5",
      },
    ];
    const first = await batch(items);
    expect(first.status).toBe(202);
    expect(first.body.results).toHaveLength(4);
    const ids = (first.body.results as Accepted[]).map((r) => r.id);
    for (const result of first.body.results)
      expect(result).toMatchObject({ status: "accepted", replayed: false });
    expect(new Set(ids).size).toBe(4);

    const finals: OperationView[] = [];
    for (const id of ids) finals.push(await api.final(id));
    finals.forEach((op, i) => {
      const { idempotencyKey: _, ...request } = items[i] as JsonObject;
      expect(op.request).toEqual(request);
      expect(op.status).toBe("applied");
    });
    // batch-1 in request order: credit 1 (v1), credit 4 (v2), reserve 0.5 (v3).
    expect(finals[3]?.balances).toEqual([
      { userId: "batch-1", currency: "USD", available: "4.50", reserved: "0.50", total: "5.00", version: 3 },
    ]);

    const again = await batch(items);
    expect(again.status).toBe(202);
    const [r0, r1, r2, r3] = again.body.results as [Accepted, Accepted, Accepted, Accepted];
    expect(r0).toEqual({ id: ids[0], status: "applied", replayed: true });
    expect(r1).toEqual({ id: ids[1], status: "applied", replayed: true });
    // The item without a key is a new operation each time.
    expect(r2).toMatchObject({ status: "accepted", replayed: false });
    expect(r2.id).not.toBe(ids[2]);
    expect(r3).toEqual({ id: ids[3], status: "applied", replayed: true });
    await api.final(r2.id);
    expect(await api.balance("batch-1", "USD")).toMatchObject({ total: "9.00", version: 4 });
    expect(await api.balance("batch-2", "USD")).toMatchObject({ total: "2.00", version: 1 });
  });

  it("answers a reused key with another body as that item's error, the others accepted", async () => {
    await api.accept(credit("batch-3", "1"), "b-shared");
    const reply = await batch([
      credit("batch-3", "2"),
      { idempotencyKey: "b-shared", ...credit("batch-3", "9") },
    ]);
    expect(reply.status).toBe(202);
    expect(reply.body.results[0]).toMatchObject({ status: "accepted", replayed: false });
    expect(reply.body.results[1]).toMatchObject({ error: { code: "idempotency_key_reused", status: 409 } });
  });

  it("applies once a key repeated inside one batch, and refuses it with another body", async () => {
    const item = { idempotencyKey: "b-twice", ...credit("batch-5", "3") };
    const reply = await batch([item, item, { ...item, amount: "4" }]);
    expect(reply.status).toBe(202);
    const [first, second, third] = reply.body.results as [Accepted, Accepted, BatchResult];
    expect(second.id).toBe(first.id);
    expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
    expect(third).toMatchObject({ error: { code: "idempotency_key_reused" } });
    await api.final(first.id);
    expect(await api.balance("batch-5", "USD")).toMatchObject({ total: "3.00", version: 1 });
    expect(await entryCount("batch-5")).toBe(1);
  });

  it("refuses a batch with an invalid item whole: 400 naming operations.<i>.<field>", async () => {
    const items = [
      { idempotencyKey: "bad-0", ...credit("batch-4", "1") },
      { idempotencyKey: "bad-1", ...credit("batch-4", "-1") },
      {
        idempotencyKey: "bad-2",
        type: "debit",
        account: { userId: "batch-4", currency: "USD" },
        amount: "1",
        bucket: "x",
      },
    ];
    expectProblem(await batch(items), 400, "invalid_request", ["operations.1.amount", "operations.2.bucket"]);
    const unknownCurrency = [
      items[0] as JsonObject,
      { ...credit("batch-4", "1"), account: { userId: "batch-4", currency: "XYZ" } },
    ];
    expectProblem(await batch(unknownCurrency), 400, "invalid_request", ["operations.1.account.currency"]);
    const tooPrecise = [items[0] as JsonObject, credit("batch-4", "0.001")];
    expectProblem(await batch(tooPrecise), 400, "invalid_request", ["operations.1.amount"]);
    expectProblem(await batch([]), 400, "invalid_request", ["operations"]);

    // Nothing was accepted: the key of the valid item was never claimed, and no money moved.
    const fresh = await api.submit(credit("batch-4", "1"), "bad-0");
    expect(fresh.status).toBe(202);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    await api.final(fresh.body.id as string);
    expect(await api.balance("batch-4", "USD")).toMatchObject({ total: "1.00", version: 1 });
  });
});
