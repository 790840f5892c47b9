import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BalanceView,
  expectProblem,
  HttpApi,
  type OperationView,
  RFC3339_MS,
} from "./support/httpApi.ts";

// Every operation type and every rejection, through the real API and two real workers.

let stack: AppStack;
let api: HttpApi;

beforeAll(async () => {
  stack = await startAppStack({ workers: 2 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
});
afterAll(async () => {
  await stack?.stop();
});

const account = (userId: string, currency: string) => ({ userId, currency });

function balance(userId: string, currency: string, available: string, reserved: string, version: number) {
  const scale = available.split(".")[1]?.length ?? 0;
  const minor = (toMinor(available) + toMinor(reserved)).toString().padStart(scale + 1, "0");
  const total = scale === 0 ? minor : `${minor.slice(0, -scale)}.${minor.slice(-scale)}`;
  return { userId, currency, available, reserved, total, version };
}

function toMinor(decimal: string): bigint {
  return BigInt(decimal.replace(".", ""));
}

function expectApplied(op: OperationView, type: string, balances: BalanceView[]): void {
  expect(op.status, JSON.stringify(op)).toBe("applied");
  expect(op.type).toBe(type);
  expect(op.acceptedAt).toMatch(RFC3339_MS);
  expect(op.finishedAt).toMatch(RFC3339_MS);
  expect(Date.parse(op.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(op.acceptedAt));
  expect(op.rejection).toBeUndefined();
  const byAccount = (a: BalanceView, b: BalanceView) =>
    `${a.userId}/${a.currency}` < `${b.userId}/${b.currency}` ? -1 : 1;
  expect([...(op.balances ?? [])].sort(byAccount)).toEqual([...balances].sort(byAccount));
}

async function expectRejected(operation: Record<string, unknown>, code: string): Promise<OperationView> {
  const op = await api.run(operation);
  expect(op.status, JSON.stringify(op)).toBe("rejected");
  expect(op.rejection?.code).toBe(code);
  expect(op.rejection?.message).toEqual(expect.any(String));
  expect(op.balances).toBeUndefined();
  expect(op.finishedAt).toMatch(RFC3339_MS);
  return op;
}

describe("single-account operations", () => {
  it("credit, reserve, release, debit from available (the default) and from reserved", async () => {
    const alice = account("ops-alice", "BTC");
    const credit = await api.run({
      type: "credit",
      account: alice,
      amount: "1.5",
      metadata: { ref: "dep-1" },
    });
    expectApplied(credit, "credit", [balance("ops-alice", "BTC", "1.50000000", "0.00000000", 1)]);
    expect(credit.request).toEqual({
      type: "credit",
      account: alice,
      amount: "1.5",
      metadata: { ref: "dep-1" },
    });
    expect(credit.metadata).toEqual({ ref: "dep-1" });

    const reserve = await api.run({ type: "reserve", account: alice, amount: "0.4" });
    expectApplied(reserve, "reserve", [balance("ops-alice", "BTC", "1.10000000", "0.40000000", 2)]);

    const release = await api.run({ type: "release", account: alice, amount: "0.1" });
    expectApplied(release, "release", [balance("ops-alice", "BTC", "1.20000000", "0.30000000", 3)]);

    const debit = await api.run({ type: "debit", account: alice, amount: "0.2" });
    expectApplied(debit, "debit", [balance("ops-alice", "BTC", "1.00000000", "0.30000000", 4)]);

    const debitReserved = await api.run({ type: "debit", account: alice, amount: "0.3", bucket: "reserved" });
    expectApplied(debitReserved, "debit", [balance("ops-alice", "BTC", "1.00000000", "0.00000000", 5)]);

    expect(await api.balance("ops-alice", "BTC")).toMatchObject(
      balance("ops-alice", "BTC", "1.00000000", "0.00000000", 5),
    );
  });

  it("keeps amounts exact at the currency's full scale (ETH, 18 decimals)", async () => {
    const eth = account("ops-exact", "ETH");
    await api.run({ type: "credit", account: eth, amount: "0.1" });
    const op = await api.run({ type: "credit", account: eth, amount: "0.200000000000000001" });
    expectApplied(op, "credit", [
      balance("ops-exact", "ETH", "0.300000000000000001", "0.000000000000000000", 2),
    ]);
  });

  it("keeps 38 significant digits exact, and balances beyond them", async () => {
    const usd = account("ops-whale", "USD");
    const amount = "123456789012345678901234567890123456.78";
    await api.run({ type: "credit", account: usd, amount });
    const op = await api.run({ type: "credit", account: usd, amount });
    expectApplied(op, "credit", [
      balance("ops-whale", "USD", "246913578024691357802469135780246913.56", "0.00", 2),
    ]);
  });
});

describe("transfer", () => {
  it("settles a trade with a fee posting atomically, every touched account in `balances`", async () => {
    await api.run({ type: "credit", account: account("ops-seller", "BTC"), amount: "0.5" });
    await api.run({ type: "reserve", account: account("ops-seller", "BTC"), amount: "0.5" });
    await api.run({ type: "credit", account: account("ops-buyer", "USDT"), amount: "7000" });
    await api.run({ type: "reserve", account: account("ops-buyer", "USDT"), amount: "6500" });

    const op = await api.run({
      type: "transfer",
      postings: [
        {
          from: { userId: "ops-seller", bucket: "reserved" },
          to: { userId: "ops-buyer", bucket: "available" },
          currency: "BTC",
          amount: "0.1",
        },
        {
          from: { userId: "ops-buyer", bucket: "reserved" },
          to: { userId: "ops-seller", bucket: "available" },
          currency: "USDT",
          amount: "6500",
        },
        // The fee comes out of what the seller received in the posting before.
        {
          from: { userId: "ops-seller", bucket: "available" },
          to: { userId: "ops-fees", bucket: "available" },
          currency: "USDT",
          amount: "6.5",
        },
      ],
    });
    expectApplied(op, "transfer", [
      balance("ops-seller", "BTC", "0.00000000", "0.40000000", 3),
      balance("ops-buyer", "BTC", "0.10000000", "0.00000000", 1),
      balance("ops-buyer", "USDT", "500.000000", "0.000000", 3),
      balance("ops-seller", "USDT", "6493.500000", "0.000000", 1),
      balance("ops-fees", "USDT", "6.500000", "0.000000", 1),
    ]);
    expect(await api.balance("ops-fees", "USDT")).toMatchObject({ total: "6.500000", version: 1 });
  });
});

describe("rejections change nothing", () => {
  beforeAll(async () => {
    await api.run({ type: "credit", account: account("ops-poor", "USD"), amount: "10" });
    await api.run({ type: "reserve", account: account("ops-poor", "USD"), amount: "3" });
  });
  const unchanged = async () =>
    expect(await api.balance("ops-poor", "USD")).toMatchObject(balance("ops-poor", "USD", "7.00", "3.00", 2));

  it("insufficient funds in available: debit and reserve", async () => {
    const poor = account("ops-poor", "USD");
    const debit = await expectRejected(
      { type: "debit", account: poor, amount: "7.01" },
      "insufficient_funds",
    );
    expect(debit.request).toMatchObject({ bucket: "available" });
    await expectRejected({ type: "reserve", account: poor, amount: "8" }, "insufficient_funds");
    await unchanged();
  });

  it("insufficient funds in reserved: debit from reserved and release", async () => {
    const poor = account("ops-poor", "USD");
    await expectRejected(
      { type: "debit", account: poor, amount: "3.01", bucket: "reserved" },
      "insufficient_funds",
    );
    await expectRejected({ type: "release", account: poor, amount: "4" }, "insufficient_funds");
    await unchanged();
  });

  it("an account that never held the currency has nothing to debit", async () => {
    await expectRejected(
      { type: "debit", account: account("ops-nobody", "USD"), amount: "0.01" },
      "insufficient_funds",
    );
    expect(await api.balance("ops-nobody", "USD")).toMatchObject(
      balance("ops-nobody", "USD", "0.00", "0.00", 0),
    );
  });

  it("a transfer whose later posting lacks funds applies none of its postings", async () => {
    await expectRejected(
      {
        type: "transfer",
        postings: [
          {
            from: { userId: "ops-poor", bucket: "available" },
            to: { userId: "ops-rich", bucket: "available" },
            currency: "USD",
            amount: "5",
          },
          {
            from: { userId: "ops-poor", bucket: "reserved" },
            to: { userId: "ops-rich", bucket: "available" },
            currency: "USD",
            amount: "3.5",
          },
        ],
      },
      "insufficient_funds",
    );
    await unchanged();
    expect(await api.balance("ops-rich", "USD")).toMatchObject({ total: "0.00", version: 0 });
  });

  it("invalid posting: from and to the same bucket of the same account", async () => {
    await expectRejected(
      {
        type: "transfer",
        postings: [
          {
            from: { userId: "ops-poor", bucket: "available" },
            to: { userId: "ops-poor", bucket: "available" },
            currency: "USD",
            amount: "1",
          },
        ],
      },
      "invalid_posting",
    );
    await unchanged();
  });

  it("an unregistered currency is refused at submit (400 naming the field), nothing accepted", async () => {
    const single = await api.submit({ type: "credit", account: account("ops-xyz", "XYZ"), amount: "1" });
    expectProblem(single, 400, "invalid_request", ["account.currency"]);
    const transfer = await api.submit({
      type: "transfer",
      postings: [
        {
          from: { userId: "ops-poor", bucket: "available" },
          to: { userId: "ops-xyz", bucket: "available" },
          currency: "USD",
          amount: "1",
        },
        {
          from: { userId: "ops-poor", bucket: "available" },
          to: { userId: "ops-xyz", bucket: "available" },
          currency: "NOPE",
          amount: "1",
        },
      ],
    });
    expectProblem(transfer, 400, "invalid_request", ["postings.1.currency"]);
    const balances = await api.call("GET", "/v1/accounts/ops-xyz/balances");
    expect(balances.body).toEqual({ userId: "ops-xyz", balances: [] });
    await unchanged();
  });
});
