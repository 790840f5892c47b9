import { formatAmount, newQueuedOperation, type OperationRequest } from "@accounts/domain";
import { useTestDatabase } from "@accounts/tests/harness";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, createPool, type Db } from "../pool.ts";
import { applyOperationBatch } from "./applyOperationBatch.ts";
import { checkLedgerInvariants } from "./checkLedgerInvariants.ts";

// The ledger core against a deliberately simple in-memory model written without the core's code, and
// under concurrent partitions. Real PostgreSQL from the harness.

const database = useTestDatabase();
let db: Db;
const scales = new Map([
  ["BTC", 8],
  ["USD", 2],
]);

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 6 }));
});
afterAll(async () => {
  await db.destroy();
});
afterEach(async () => {
  expect((await checkLedgerInvariants(db)).violations).toEqual([]);
});

type Bucket = "available" | "reserved";
interface ModelAccount {
  available: bigint;
  reserved: bigint;
  version: number;
}
interface ModelResult {
  status: "applied" | "rejected";
  code?: string;
  balances?: string[];
}

/** Balances by "user/currency", with the rules of docs/api.md applied directly, type by type. */
class Model {
  readonly accounts = new Map<string, ModelAccount>();

  apply(request: OperationRequest): ModelResult {
    const next = new Map<string, ModelAccount>();
    const get = (userId: string, currency: string): ModelAccount => {
      const key = `${userId}/${currency}`;
      const found = next.get(key) ?? {
        ...(this.accounts.get(key) ?? { available: 0n, reserved: 0n, version: 0 }),
      };
      next.set(key, found);
      return found;
    };
    const move = (
      fromUser: string,
      fromBucket: Bucket,
      toUser: string,
      toBucket: Bucket,
      currency: string,
      minor: bigint,
    ) => {
      const from = get(fromUser, currency);
      if (from[fromBucket] < minor) return false;
      from[fromBucket] -= minor;
      get(toUser, currency)[toBucket] += minor;
      return true;
    };
    let ok: boolean;
    if (request.type === "transfer") {
      if (request.postings.some((p) => p.from.userId === p.to.userId && p.from.bucket === p.to.bucket)) {
        return { status: "rejected", code: "invalid_posting" };
      }
      ok = request.postings.every((p) =>
        move(
          p.from.userId,
          p.from.bucket,
          p.to.userId,
          p.to.bucket,
          p.currency,
          minorOf(p.amount, p.currency),
        ),
      );
    } else {
      const { userId, currency } = request.account;
      const minor = minorOf(request.amount, currency);
      if (request.type === "credit") {
        get(userId, currency).available += minor;
        ok = true;
      } else if (request.type === "debit") {
        const account = get(userId, currency);
        ok = account[request.bucket] >= minor;
        if (ok) account[request.bucket] -= minor;
      } else if (request.type === "reserve") {
        ok = move(userId, "available", userId, "reserved", currency, minor);
      } else {
        ok = move(userId, "reserved", userId, "available", currency, minor);
      }
    }
    if (!ok) return { status: "rejected", code: "insufficient_funds" };
    const balances: string[] = [];
    for (const [key, account] of next) {
      account.version += 1;
      this.accounts.set(key, account);
      const currency = key.split("/")[1] as string;
      const scale = scales.get(currency) as number;
      balances.push(
        `${key}:${formatAmount(account.available, scale)}:${formatAmount(account.reserved, scale)}:${account.version}`,
      );
    }
    return { status: "applied", balances: balances.sort() };
  }
}

function minorOf(amount: string, currency: string): bigint {
  const scale = scales.get(currency) as number;
  const [whole = "0", fraction = ""] = amount.split(".");
  return BigInt(whole + fraction.padEnd(scale, "0"));
}

function operationArb(users: string[]): fc.Arbitrary<OperationRequest> {
  const userArb = fc.constantFrom(...users);
  const currencyArb = fc.constantFrom("BTC", "USD");
  const amountArb = fc.integer({ min: 1, max: 400 }).map((n) => (n / 100).toFixed(2).replace(/\.?0+$/, ""));
  const bucketArb = fc.constantFrom<Bucket>("available", "reserved");
  const account = fc.record({ userId: userArb, currency: currencyArb });
  return fc.oneof(
    fc.record({ type: fc.constant("credit" as const), account, amount: amountArb }),
    fc.record({ type: fc.constant("debit" as const), account, amount: amountArb, bucket: bucketArb }),
    fc.record({ type: fc.constant("reserve" as const), account, amount: amountArb }),
    fc.record({ type: fc.constant("release" as const), account, amount: amountArb }),
    fc.record({
      type: fc.constant("transfer" as const),
      postings: fc.array(
        fc.record({
          from: fc.record({ userId: userArb, bucket: bucketArb }),
          to: fc.record({ userId: userArb, bucket: bucketArb }),
          currency: currencyArb,
          amount: amountArb,
        }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  );
}

let run = 0;

describe("the core agrees with the model", () => {
  it("on random operation sequences split into random batches", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }).chain((seed) => {
          const users = [0, 1, 2].map((i) => `m${seed}-${i}`);
          return fc.tuple(
            fc.array(operationArb(users), { minLength: 1, maxLength: 40 }),
            fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
          );
        }),
        async ([requests, batchSizes]) => {
          run += 1;
          // Fresh users per run: the model starts empty.
          const prefix = `run${run}-`;
          const renamed = requests.map(
            (r) => JSON.parse(JSON.stringify(r).replaceAll('"m', `"${prefix}m`)) as OperationRequest,
          );
          const model = new Model();
          let index = 0;
          let sizeIndex = 0;
          while (index < renamed.length) {
            const size = batchSizes[sizeIndex++ % batchSizes.length] as number;
            const batch = renamed.slice(index, index + size);
            index += size;
            const outcomes = await applyOperationBatch(db, {
              partition: 2,
              scales,
              operations: batch.map((request) => newQueuedOperation(request, "model")),
            });
            for (const [i, outcome] of outcomes.entries()) {
              const expected = model.apply(batch[i] as OperationRequest);
              expect(outcome.status).toBe(expected.status);
              if (expected.status === "rejected") expect(outcome.rejection?.code).toBe(expected.code);
              else {
                const got = (outcome.balances ?? [])
                  .map((b) => `${b.userId}/${b.currency}:${b.available}:${b.reserved}:${b.version}`)
                  .sort();
                expect(got).toEqual(expected.balances);
              }
            }
          }
          for (const [key, account] of model.accounts) {
            const [userId, currency] = key.split("/") as [string, string];
            const row = await db
              .selectFrom("accounts")
              .select(["available", "reserved", "version"])
              .where("user_id", "=", userId)
              .where("currency", "=", currency)
              .executeTakeFirst();
            const scale = scales.get(currency) as number;
            expect(row).toEqual({
              available: formatAmount(account.available, scale),
              reserved: formatAmount(account.reserved, scale),
              version: account.version,
            });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("concurrent partitions", () => {
  it("two partitions settling against the same accounts neither deadlock nor lose updates", async () => {
    const users = ["c-a", "c-b", "c-c", "c-d", "c-e"];
    await applyOperationBatch(db, {
      partition: 0,
      scales,
      operations: users.map((u) =>
        newQueuedOperation({ type: "credit", account: { userId: u, currency: "USD" }, amount: "100" }, "x"),
      ),
    });
    const randomTransfer = (): OperationRequest => {
      const from = users[Math.floor(Math.random() * users.length)] as string;
      const others = users.filter((u) => u !== from);
      const to = others[Math.floor(Math.random() * others.length)] as string;
      return {
        type: "transfer",
        postings: [
          {
            from: { userId: from, bucket: "available" },
            to: { userId: to, bucket: "available" },
            currency: "USD",
            amount: "0.07",
          },
        ],
      };
    };
    let applied = 0;
    for (let round = 0; round < 40; round++) {
      const results = await Promise.all(
        [5, 6, 7].map((partition) =>
          applyOperationBatch(db, {
            partition,
            scales,
            operations: Array.from({ length: 15 }, () => newQueuedOperation(randomTransfer(), "x")),
          }),
        ),
      );
      applied += results.flat().filter((o) => o.status === "applied").length;
    }
    const rows = await db
      .selectFrom("accounts")
      .select(["available", "version"])
      .where("user_id", "in", users)
      .execute();
    // Transfers move money between these users only: the total is unchanged, and every applied
    // transfer bumped two versions (plus the initial credit of each user).
    const total = rows.reduce((sum, r) => sum + BigInt(r.available.replace(".", "")), 0n);
    expect(total).toBe(50_000n);
    expect(rows.reduce((sum, r) => sum + r.version, 0)).toBe(users.length + 2 * applied);
  });
});
