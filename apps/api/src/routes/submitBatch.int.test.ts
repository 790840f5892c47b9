import { describe, expect, it } from "vitest";
import { useInProcessApi } from "../testing/inProcessApi.ts";

// POST /v1/operations/batch on the app createServices wires (real authentication, PostgreSQL, Redis
// and queues); no worker runs, so operations stay accepted.

const t = useInProcessApi({
  writer: ["operations:write", "operations:read"],
  reader: ["operations:read"],
});

const credit = (userId: string, amount = "1", idempotencyKey?: string) => ({
  type: "credit",
  account: { userId, currency: "USD" },
  amount,
  ...(idempotencyKey ? { idempotencyKey } : {}),
});
const batch = (operations: unknown[], client: string | null = "writer") =>
  t().call(client, "POST", "/v1/operations/batch", { operations });

interface BatchResult {
  id?: string;
  status?: string;
  replayed?: boolean;
  error?: { code: string; status: number };
}

describe("POST /v1/operations/batch: happy", () => {
  it("answers 202 with one result per item, in request order, each readable", async () => {
    const res = await batch([credit("bat-a"), credit("bat-b", "2"), credit("bat-a", "3")]);
    expect(res.status).toBe(202);
    const { results } = (await res.json()) as { results: BatchResult[] };
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result).toMatchObject({
        id: expect.stringMatching(/^op_/),
        status: "accepted",
        replayed: false,
      });
      const read = await t().call("writer", "GET", `/v1/operations/${result.id}`);
      expect(read.status).toBe(200);
    }
    expect(new Set(results.map((r) => r.id)).size).toBe(3);
  });

  it("answers each item on its own: a replay, a reused key and a new operation side by side", async () => {
    const first = await batch([credit("bat-c", "1", "bat-c-1"), credit("bat-c", "1", "bat-c-2")]);
    const [firstResult] = ((await first.json()) as { results: BatchResult[] }).results;
    const res = await batch([
      credit("bat-c", "1", "bat-c-1"),
      credit("bat-c", "9", "bat-c-2"),
      credit("bat-c", "1"),
    ]);
    expect(res.status).toBe(202);
    const { results } = (await res.json()) as { results: BatchResult[] };
    expect(results[0]).toEqual({ id: firstResult?.id, status: "accepted", replayed: true });
    expect(results[1]?.error).toMatchObject({ code: "idempotency_key_reused", status: 409 });
    expect(results[2]).toMatchObject({ status: "accepted", replayed: false });
  });
});

describe("POST /v1/operations/batch: errors", () => {
  it("is 400 naming the invalid items by index, and accepts nothing of the batch", async () => {
    const before = await t().waitingOperations();
    const res = await batch([credit("bat-d"), credit("bat-d", "0.001"), { type: "credit" }]);
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path.split(".").slice(0, 2).join("."))).toContain("operations.2");
    expect(await t().waitingOperations()).toBe(before);
    const scale = await batch([credit("bat-d"), credit("bat-d", "0.001")]);
    expect(await scale.json()).toMatchObject({ errors: [{ path: "operations.1.amount" }] });
    expect(await t().waitingOperations()).toBe(before);
  });

  it("is 400 for an empty batch and for more than 1000 items", async () => {
    expect((await batch([])).status).toBe(400);
    expect((await batch(Array.from({ length: 1001 }, () => credit("bat-e")))).status).toBe(400);
  });
});

describe("POST /v1/operations/batch: security", () => {
  it("is 401 without a key and 403 without operations:write; nothing stored", async () => {
    const before = await t().waitingOperations();
    expect((await batch([credit("bat-f")], null)).status).toBe(401);
    const forbidden = await batch([credit("bat-f")], "reader");
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: "forbidden" });
    expect(await t().waitingOperations()).toBe(before);
  });
});
