import { type AppStack, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Entry, expectProblem, HttpApi, type OperationView, RFC3339_MS } from "./support/httpApi.ts";

// Reading accounts: balances now and in the past, and the ledger entries behind them.

let stack: AppStack;
let api: HttpApi;
const USER = "acc-carol";
let ops: { credit: OperationView; reserve: OperationView; creditEth: OperationView; debit: OperationView };
/** A time after the credit was applied and before the reserve was accepted. */
let betweenCreditAndReserve: string;
let beforeAnything: string;

beforeAll(async () => {
  stack = await startAppStack({ workers: 2 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
  beforeAnything = new Date().toISOString();
  await nextMillisecond();
  const credit = await api.run({ type: "credit", account: { userId: USER, currency: "USD" }, amount: "10" });
  await nextMillisecond();
  betweenCreditAndReserve = new Date().toISOString();
  await nextMillisecond();
  const reserve = await api.run({ type: "reserve", account: { userId: USER, currency: "USD" }, amount: "4" });
  const creditEth = await api.run({
    type: "credit",
    account: { userId: USER, currency: "ETH" },
    amount: "1",
  });
  const debit = await api.run({ type: "debit", account: { userId: USER, currency: "USD" }, amount: "1.5" });
  ops = { credit, reserve, creditEth, debit };
  for (const op of Object.values(ops)) expect(op.status).toBe("applied");
});
afterAll(async () => {
  await stack?.stop();
});

/** Lets the clock pass the current millisecond, so that timestamps on either side differ. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  await waitFor(() => Date.now() > now + 1, { intervalMs: 1 });
}

describe("balances", () => {
  it("lists every currency the user holds, at the currency's scale", async () => {
    const reply = await api.call<{ userId: string; balances: Record<string, unknown>[] }>(
      "GET",
      `/v1/accounts/${USER}/balances`,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.userId).toBe(USER);
    const byCurrency = [...reply.body.balances].sort((a, b) =>
      String(a.currency).localeCompare(String(b.currency)),
    );
    expect(byCurrency).toEqual([
      {
        currency: "ETH",
        available: "1.000000000000000000",
        reserved: "0.000000000000000000",
        total: "1.000000000000000000",
        version: 1,
        updatedAt: expect.stringMatching(RFC3339_MS),
      },
      {
        currency: "USD",
        available: "4.50",
        reserved: "4.00",
        total: "8.50",
        version: 3,
        updatedAt: expect.stringMatching(RFC3339_MS),
      },
    ]);
  });

  it("answers one balance, equal to the last operation's `balances`", async () => {
    const { updatedAt, ...usd } = await api.balance(USER, "USD");
    expect(usd).toEqual({
      userId: USER,
      currency: "USD",
      available: "4.50",
      reserved: "4.00",
      total: "8.50",
      version: 3,
    });
    expect(ops.debit.balances).toEqual([usd]);
    expect(updatedAt).toBe(ops.debit.finishedAt);
  });

  it("answers zeros at version 0 for a registered currency never held", async () => {
    expect(await api.balance(USER, "BTC")).toMatchObject({
      userId: USER,
      currency: "BTC",
      available: "0.00000000",
      reserved: "0.00000000",
      total: "0.00000000",
      version: 0,
    });
    expect(await api.balance("acc-nobody", "USDT")).toMatchObject({ total: "0.000000", version: 0 });
  });

  it("answers 404 for an unregistered currency", async () => {
    const reply = await api.call("GET", `/v1/accounts/${USER}/balances/XYZ`);
    // docs/api.md: a currency that is not registered is a 404 with code `unknown_currency`.
    expectProblem(reply, 404, "unknown_currency");
  });

  it("answers the balance as it was at a time between two operations (?at=)", async () => {
    expect(await api.balance(USER, "USD", betweenCreditAndReserve)).toMatchObject({
      available: "10.00",
      reserved: "0.00",
      total: "10.00",
      version: 1,
    });
    expect(await api.balance(USER, "USD", ops.reserve.finishedAt)).toMatchObject({
      available: "6.00",
      reserved: "4.00",
      total: "10.00",
      version: 2,
    });
    expect(await api.balance(USER, "USD", beforeAnything)).toMatchObject({ total: "0.00", version: 0 });
    expect(await api.balance(USER, "USD", new Date(Date.now() + 60_000).toISOString())).toMatchObject({
      total: "8.50",
      version: 3,
    });
  });

  it("refuses an ?at= that is not a timestamp", async () => {
    const reply = await api.call("GET", `/v1/accounts/${USER}/balances/USD?at=yesterday`);
    expectProblem(reply, 400, "invalid_request");
  });
});

describe("entries", () => {
  // What the four operations wrote, oldest first: [operation, currency, bucket, amount, balanceAfter, version].
  const written = () =>
    [
      [ops.credit.id, "USD", "available", "10.00", "10.00", 1],
      [ops.reserve.id, "USD", "available", "-4.00", "6.00", 2],
      [ops.reserve.id, "USD", "reserved", "4.00", "4.00", 2],
      [ops.creditEth.id, "ETH", "available", "1.000000000000000000", "1.000000000000000000", 1],
      [ops.debit.id, "USD", "available", "-1.50", "4.50", 3],
    ] as const;
  const shape = (e: Entry) => [e.operationId, e.currency, e.bucket, e.amount, e.balanceAfter, e.version];

  it("pages newest first with signed amounts, two at a time, until nextCursor is null", async () => {
    const pages = await api.entryPages(USER, { limit: "2" });
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const entries = pages.flat();
    expect(entries.map(shape)).toEqual([...written()].reverse());
    for (const entry of entries) expect(entry.createdAt).toMatch(RFC3339_MS);
    const times = entries.map((e) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("filters by currency and gives the same order in one page as over many", async () => {
    const onePage = await api.entryPages(USER, { currency: "USD", limit: "1000" });
    expect(onePage).toHaveLength(1);
    const paged = (await api.entryPages(USER, { currency: "USD", limit: "2" })).flat();
    expect(paged).toEqual(onePage[0]);
    expect(paged.map(shape)).toEqual(
      written()
        .filter((row) => row[1] === "USD")
        .reverse(),
    );
  });

  it("is empty for a user without entries, and refuses a bad limit or cursor", async () => {
    expect(await api.entryPages("acc-nobody")).toEqual([[]]);
    expectProblem(await api.call("GET", `/v1/accounts/${USER}/entries?limit=0`), 400, "invalid_request", [
      "limit",
    ]);
    expectProblem(await api.call("GET", `/v1/accounts/${USER}/entries?limit=1001`), 400, "invalid_request", [
      "limit",
    ]);
    expectProblem(await api.call("GET", `/v1/accounts/${USER}/entries?cursor=abc`), 400, "invalid_request", [
      "cursor",
    ]);
  });
});
