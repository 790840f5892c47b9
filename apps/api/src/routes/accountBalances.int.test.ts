import { waitFor } from "@accounts/tests/harness";
import { describe, expect, it } from "vitest";
import { useInProcessApi } from "../testing/inProcessApi.ts";

// GET /v1/accounts/{userId}/balances[/{currency}] and /entries on the app createServices wires;
// balances come from operations applied straight through the ledger, as a worker would.

const t = useInProcessApi({
  writer: ["operations:write"],
  accountant: ["accounts:read"],
});

const move = (type: "credit" | "reserve", userId: string, currency: string, amount: string) => ({
  type,
  account: { userId, currency },
  amount,
});
const get = (path: string, client: string | null = "accountant") => t().call(client, "GET", path);

describe("account balances: happy", () => {
  it("lists a user's balances at their currencies' scales, total = available + reserved", async () => {
    await t().apply("writer", move("credit", "acc-a", "BTC", "1.5"), move("reserve", "acc-a", "BTC", "0.25"));
    await t().apply("writer", move("credit", "acc-a", "USD", "10"));
    const res = await get("/v1/accounts/acc-a/balances");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      userId: "acc-a",
      balances: [
        { currency: "BTC", available: "1.25000000", reserved: "0.25000000", total: "1.50000000", version: 2 },
        { currency: "USD", available: "10.00", reserved: "0.00", total: "10.00", version: 1 },
      ],
    });
  });

  it("answers one balance, zeros with version 0 for a registered currency never held, and a past one with ?at=", async () => {
    await t().apply("writer", move("credit", "acc-b", "USD", "1"));
    const between = new Date().toISOString();
    // The next entry must be written in a later millisecond than `between` (times are in ms).
    await waitFor(() => Date.now() > Date.parse(between));
    await t().apply("writer", move("credit", "acc-b", "USD", "2"));
    expect(await (await get("/v1/accounts/acc-b/balances/USD")).json()).toMatchObject({
      total: "3.00",
      version: 2,
    });
    expect(await (await get("/v1/accounts/acc-b/balances/ETH")).json()).toMatchObject({
      userId: "acc-b",
      currency: "ETH",
      available: "0.000000000000000000",
      version: 0,
      updatedAt: null,
    });
    const past = await get(`/v1/accounts/acc-b/balances/USD?at=${encodeURIComponent(between)}`);
    expect(await past.json()).toMatchObject({ total: "1.00", version: 1 });
  });

  it("pages the ledger entries newest first with a cursor", async () => {
    await t().apply("writer", ...["1", "2", "3"].map((amount) => move("credit", "acc-c", "USD", amount)));
    const first = (await (await get("/v1/accounts/acc-c/entries?limit=2")).json()) as {
      entries: { amount: string; version: number }[];
      nextCursor: string | null;
    };
    expect(first.entries.map((e) => [e.amount, e.version])).toEqual([
      ["3.00", 3],
      ["2.00", 2],
    ]);
    const rest = (await (
      await get(`/v1/accounts/acc-c/entries?limit=2&cursor=${first.nextCursor}`)
    ).json()) as {
      entries: { amount: string }[];
      nextCursor: string | null;
    };
    expect(rest).toMatchObject({ entries: [{ amount: "1.00" }], nextCursor: null });
  });
});

describe("account balances: errors", () => {
  it("is 404 unknown_currency for a currency that is not registered", async () => {
    const res = await get("/v1/accounts/acc-d/balances/ZZZ");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "unknown_currency" });
  });

  it("is 404 for a malformed user id, 400 for a bad entries query", async () => {
    expect((await get("/v1/accounts/bad%20user/balances")).status).toBe(404);
    for (const query of ["currency=ZZZ", "limit=0", "limit=1001", "cursor=abc"]) {
      const res = await get(`/v1/accounts/acc-d/entries?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toMatchObject({ code: "invalid_request" });
    }
  });
});

describe("account balances: security", () => {
  it("is 401 without a key and 403 without accounts:read, on every account route", async () => {
    for (const path of [
      "/v1/accounts/acc-a/balances",
      "/v1/accounts/acc-a/balances/USD",
      "/v1/accounts/acc-a/entries",
    ]) {
      expect((await get(path, null)).status, path).toBe(401);
      const forbidden = await get(path, "writer");
      expect(forbidden.status, path).toBe(403);
      expect(await forbidden.json()).toMatchObject({ code: "forbidden" });
    }
  });
});
