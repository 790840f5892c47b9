import { markFailed } from "@accounts/queue";
import { describe, expect, it } from "vitest";
import { useInProcessApi } from "../testing/inProcessApi.ts";

// GET /v1/operations/{id} on the app createServices wires. No worker runs: operations submitted
// here stay accepted; final ones are applied straight through the ledger, as a worker would.

const t = useInProcessApi({
  alice: ["operations:write", "operations:read"],
  bob: ["operations:write", "operations:read"],
  accountant: ["accounts:read"],
});

const credit = (userId: string, amount = "2") => ({
  type: "credit" as const,
  account: { userId, currency: "USD" },
  amount,
});
const get = (id: string, client: string | null = "alice") => t().call(client, "GET", `/v1/operations/${id}`);
async function submitted(client = "alice"): Promise<string> {
  const res = await t().call(client, "POST", "/v1/operations", credit(`get-${client}`));
  return ((await res.json()) as { id: string }).id;
}

describe("GET /v1/operations/{id}: happy", () => {
  it("answers an accepted operation, not final yet", async () => {
    const id = await submitted();
    const res = await get(id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, type: "credit", status: "accepted" });
  });

  it("answers an applied operation with its request, times and the balances right after it", async () => {
    const [id] = await t().apply("alice", credit("get-applied", "2.5"), credit("get-applied", "1"));
    const res = await get(id as string);
    expect(await res.json()).toMatchObject({
      id,
      status: "applied",
      request: credit("get-applied", "2.5"),
      acceptedAt: expect.any(String),
      finishedAt: expect.any(String),
      balances: [
        {
          userId: "get-applied",
          currency: "USD",
          available: "2.50",
          reserved: "0.00",
          total: "2.50",
          version: 1,
        },
      ],
    });
  });

  it("answers a rejected operation with its rejection, and a failed one with its problem", async () => {
    const [rejected] = await t().apply("alice", {
      type: "debit",
      account: { userId: "get-empty", currency: "USD" },
      amount: "1",
      bucket: "available",
    });
    expect(await (await get(rejected as string)).json()).toMatchObject({
      status: "rejected",
      rejection: { code: "insufficient_funds" },
    });
    const id = await submitted();
    await markFailed(
      t().api.services.states,
      [{ id, clientId: t().client("alice").id, type: "credit" }],
      "boom",
      60,
    );
    expect(await (await get(id)).json()).toMatchObject({
      status: "failed",
      problem: { code: "apply_failed", detail: "boom" },
    });
  });

  it("answers a long poll's pending representation when the wait runs out", async () => {
    const id = await submitted();
    const res = await t().call("alice", "GET", `/v1/operations/${id}?wait=1`);
    expect(await res.json()).toMatchObject({ id, status: "accepted" });
  });
});

describe("GET /v1/operations/{id}: errors", () => {
  it("is 404 not_found for an unknown or malformed id", async () => {
    for (const id of ["op_01KB3Z8Q6M2Y9W4T7R5N1C0D8F07", "op_nope", "x".repeat(65)]) {
      const res = await get(id);
      expect(res.status, id).toBe(404);
      expect(await res.json()).toMatchObject({ code: "not_found" });
    }
  });

  it("is 400 for a wait outside 0-30 s", async () => {
    const id = await submitted();
    for (const wait of ["31", "-1", "soon"]) {
      const res = await t().call("alice", "GET", `/v1/operations/${id}?wait=${wait}`);
      expect(res.status, wait).toBe(400);
    }
  });
});

describe("GET /v1/operations/{id}: security", () => {
  it("is 404 for another client's operation, accepted or final: exactly as for an unknown one", async () => {
    const pending = await submitted("alice");
    const [applied] = await t().apply("alice", credit("get-private"));
    for (const id of [pending, applied as string]) {
      const res = await get(id, "bob");
      expect(res.status).toBe(404);
      expect(((await res.json()) as { detail: string }).detail).toBe(`no operation ${id} for this client`);
    }
  });

  it("is 401 without a key and 403 without operations:read", async () => {
    const id = await submitted();
    expect((await get(id, null)).status).toBe(401);
    const forbidden = await get(id, "accountant");
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: "forbidden" });
  });
});
