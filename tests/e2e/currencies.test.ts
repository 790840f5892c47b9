import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, expect, it } from "vitest";
import { expectProblem, HttpApi, type JsonObject } from "./support/httpApi.ts";

// Registering currencies, and using them end to end right away.

let stack: AppStack;
let api: HttpApi;

beforeAll(async () => {
  // One worker, so that the operations below all meet the same worker's currency cache.
  stack = await startAppStack({ workers: 1 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
});
afterAll(async () => {
  await stack?.stop();
});

const register = (json: JsonObject) => api.call("POST", "/v1/currencies", { json });
const credit = (currency: string, amount: string) => ({
  type: "credit",
  account: { userId: "cur-1", currency },
  amount,
});

it("lists the default currencies with their scales", async () => {
  const reply = await api.call<{ currencies: { code: string; scale: number }[] }>("GET", "/v1/currencies");
  expect(reply.body.currencies).toEqual(
    expect.arrayContaining([
      { code: "BTC", scale: 8 },
      { code: "ETH", scale: 18 },
      { code: "USDT", scale: 6 },
      { code: "USD", scale: 2 },
    ]),
  );
});

it("registers a code once, with a scale of 0-18 that never changes", async () => {
  expect((await register({ code: "SOL", scale: 9 })).status).toBe(201);
  expect((await register({ code: "SOL", scale: 9 })).status).toBe(200);
  expectProblem(await register({ code: "SOL", scale: 8 }), 400, "invalid_request", ["scale"]);
  expectProblem(await register({ code: "BIG", scale: 19 }), 400, "invalid_request", ["scale"]);
  expectProblem(await register({ code: "NEG", scale: -1 }), 400, "invalid_request", ["scale"]);
  expectProblem(await register({ code: "sol", scale: 2 }), 400, "invalid_request", ["code"]);
  const listed = await api.call<{ currencies: { code: string; scale: number }[] }>("GET", "/v1/currencies");
  expect(listed.body.currencies).toContainEqual({ code: "SOL", scale: 9 });
  expect(listed.body.currencies.map((c) => c.code)).not.toContain("BIG");
});

it("applies operations in currencies registered one right after the other", async () => {
  // Each new code makes the worker reload its currency table; the second comes within a second
  // of the first reload, and must not be mistaken for an unknown currency.
  for (const [code, scale, amount, total] of [
    ["NEWA", 3, "1.5", "1.500"],
    ["NEWB", 4, "2.25", "2.2500"],
    ["NEWC", 0, "7", "7"],
  ] as const) {
    expect((await register({ code, scale })).status).toBe(201);
    const op = await api.run(credit(code, amount));
    expect(op, JSON.stringify(op)).toMatchObject({ status: "applied" });
    expect(await api.balance("cur-1", code)).toMatchObject({ total, version: 1 });
  }
  expectProblem(await api.submit(credit("NEWA", "0.0001")), 400, "invalid_request", ["amount"]);
});
