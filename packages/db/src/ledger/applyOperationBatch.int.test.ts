import type { OperationRequest } from "@accounts/domain";
import { newQueuedOperation, type QueuedOperation } from "@accounts/domain";
import { useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, createPool, type Db } from "../pool.ts";
import { applyOperationBatch } from "./applyOperationBatch.ts";
import { checkLedgerInvariants } from "./checkLedgerInvariants.ts";
import type { OperationOutcome } from "./types.ts";
import { SMALL_BATCH } from "./writeBatch.ts";

// Real PostgreSQL (the harness clones the migrated template for this file); nothing is faked.

const database = useTestDatabase();
let db: Db;
const scales = new Map([
  ["BTC", 8],
  ["USDT", 6],
  ["USD", 2],
]);

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 6 }));
});
afterAll(async () => {
  await db.destroy();
});
afterEach(async () => {
  const report = await checkLedgerInvariants(db);
  expect(report.violations).toEqual([]);
});

let userCounter = 0;
/** A user id no other test touches. */
function user(label: string): string {
  userCounter += 1;
  return `${label}-${userCounter}`;
}

function pending(request: OperationRequest, clientId = "client-a"): QueuedOperation {
  return newQueuedOperation(request, clientId, "test");
}

const credit = (userId: string, currency: string, amount: string): OperationRequest => ({
  type: "credit",
  account: { userId, currency },
  amount,
});
const debit = (
  userId: string,
  currency: string,
  amount: string,
  bucket: "available" | "reserved" = "available",
): OperationRequest => ({ type: "debit", account: { userId, currency }, amount, bucket });
const reserve = (userId: string, currency: string, amount: string): OperationRequest => ({
  type: "reserve",
  account: { userId, currency },
  amount,
});
const release = (userId: string, currency: string, amount: string): OperationRequest => ({
  type: "release",
  account: { userId, currency },
  amount,
});

async function apply(
  requests: (OperationRequest | QueuedOperation)[],
  partition = 1,
): Promise<OperationOutcome[]> {
  const operations = requests.map((r) => ("id" in r ? r : pending(r)));
  return applyOperationBatch(db, { partition, operations, scales });
}

async function balance(userId: string, currency: string) {
  const row = await db
    .selectFrom("accounts")
    .select(["available", "reserved", "total", "version"])
    .where("user_id", "=", userId)
    .where("currency", "=", currency)
    .executeTakeFirst();
  return row ?? null;
}

async function entryCount(operationId?: string): Promise<number> {
  const query = sql<{ n: number }>`SELECT count(*)::int AS n FROM ledger_entries
    WHERE ${operationId ? sql`operation_id = ${operationId}` : sql`true`}`;
  return (await query.execute(db)).rows[0]?.n ?? 0;
}

describe("applying each operation type", () => {
  it("credit creates the account and posts against the partition's @external account", async () => {
    const alice = user("alice");
    const [out] = await apply([credit(alice, "BTC", "1.5")], 4);
    expect(out?.status).toBe("applied");
    expect(out?.balances).toEqual([
      {
        userId: alice,
        currency: "BTC",
        available: "1.50000000",
        reserved: "0.00000000",
        total: "1.50000000",
        version: 1,
      },
    ]);
    expect(await balance(alice, "BTC")).toEqual({
      available: "1.50000000",
      reserved: "0.00000000",
      total: "1.50000000",
      version: 1,
    });
    const external = await balance("@external:04", "BTC");
    expect(external?.available.startsWith("-")).toBe(true);
  });

  it("reserve, release, debit from available and from reserved move the right buckets", async () => {
    const bob = user("bob");
    const outs = await apply([
      credit(bob, "USDT", "100"),
      reserve(bob, "USDT", "40"),
      release(bob, "USDT", "15"),
      debit(bob, "USDT", "10", "reserved"),
      debit(bob, "USDT", "5"),
    ]);
    expect(outs.map((o) => o.status)).toEqual(["applied", "applied", "applied", "applied", "applied"]);
    expect(
      outs.map((o) => [o.balances?.[0]?.available, o.balances?.[0]?.reserved, o.balances?.[0]?.version]),
    ).toEqual([
      ["100.000000", "0.000000", 1],
      ["60.000000", "40.000000", 2],
      ["75.000000", "25.000000", 3],
      ["75.000000", "15.000000", 4],
      ["70.000000", "15.000000", 5],
    ]);
    expect(await balance(bob, "USDT")).toMatchObject({
      available: "70.000000",
      reserved: "15.000000",
      version: 5,
    });
  });

  it("a transfer settles a trade with fees across users and currencies atomically", async () => {
    const [alice, bob, fees] = [user("alice"), user("bob"), user("fees")];
    await apply([
      credit(alice, "BTC", "1"),
      reserve(alice, "BTC", "0.1"),
      credit(bob, "USDT", "6500"),
      reserve(bob, "USDT", "6500"),
    ]);
    const [out] = await apply([
      {
        type: "transfer",
        postings: [
          {
            from: { userId: alice, bucket: "reserved" },
            to: { userId: bob, bucket: "available" },
            currency: "BTC",
            amount: "0.1",
          },
          {
            from: { userId: bob, bucket: "reserved" },
            to: { userId: alice, bucket: "available" },
            currency: "USDT",
            amount: "6500",
          },
          {
            from: { userId: alice, bucket: "available" },
            to: { userId: fees, bucket: "available" },
            currency: "USDT",
            amount: "6.5",
          },
        ],
      },
    ]);
    expect(out?.status).toBe("applied");
    expect(await balance(alice, "BTC")).toMatchObject({ available: "0.90000000", reserved: "0.00000000" });
    expect(await balance(alice, "USDT")).toMatchObject({
      available: "6493.500000",
      reserved: "0.000000",
      version: 1,
    });
    expect(await balance(bob, "BTC")).toMatchObject({ available: "0.10000000" });
    expect(await balance(bob, "USDT")).toMatchObject({ available: "0.000000", reserved: "0.000000" });
    expect(await balance(fees, "USDT")).toMatchObject({ available: "6.500000" });
    expect(await entryCount(out?.id)).toBe(6);
    // Every touched user account appears once in the result, after the whole operation.
    expect(out?.balances?.map((b) => `${b.userId}/${b.currency}`).sort()).toEqual(
      [`${alice}/BTC`, `${bob}/BTC`, `${bob}/USDT`, `${alice}/USDT`, `${fees}/USDT`].sort(),
    );
  });
});

describe("rejections change nothing", () => {
  it.each([
    ["debit beyond available", (u: string) => debit(u, "BTC", "2"), "insufficient_funds"],
    ["reserve beyond available", (u: string) => reserve(u, "BTC", "1.00000001"), "insufficient_funds"],
    ["debit beyond reserved", (u: string) => debit(u, "BTC", "0.3", "reserved"), "insufficient_funds"],
    ["release beyond reserved", (u: string) => release(u, "BTC", "0.25000001"), "insufficient_funds"],
    ["unknown currency", (u: string) => credit(u, "XYZ", "1"), "unknown_currency"],
    [
      "a posting from a bucket to itself",
      (u: string): OperationRequest => ({
        type: "transfer",
        postings: [
          {
            from: { userId: u, bucket: "available" },
            to: { userId: u, bucket: "available" },
            currency: "BTC",
            amount: "0.1",
          },
        ],
      }),
      "invalid_posting",
    ],
  ] as const)("%s is rejected and changes nothing", async (_name, make, code) => {
    const u = user("carol");
    await apply([credit(u, "BTC", "1"), reserve(u, "BTC", "0.25")]);
    const before = await balance(u, "BTC");
    const entriesBefore = await entryCount();
    const [out] = await apply([make(u)]);
    expect(out?.status).toBe("rejected");
    expect(out?.rejection?.code).toBe(code);
    expect(out?.balances).toBeNull();
    expect(await balance(u, "BTC")).toEqual(before);
    expect(await entryCount()).toBe(entriesBefore);
    const stored = await db
      .selectFrom("operations")
      .selectAll()
      .where("id", "=", out?.id as string)
      .executeTakeFirst();
    expect(stored?.status).toBe("rejected");
    expect(stored?.rejection).toMatchObject({ code });
  });

  it("a transfer whose second posting fails applies none of its postings", async () => {
    const [dave, erin] = [user("dave"), user("erin")];
    await apply([credit(dave, "BTC", "1"), credit(erin, "USD", "10")]);
    const [out] = await apply([
      {
        type: "transfer",
        postings: [
          {
            from: { userId: dave, bucket: "available" },
            to: { userId: erin, bucket: "available" },
            currency: "BTC",
            amount: "0.5",
          },
          {
            from: { userId: erin, bucket: "available" },
            to: { userId: dave, bucket: "available" },
            currency: "USD",
            amount: "10.01",
          },
        ],
      },
    ]);
    expect(out?.rejection?.code).toBe("insufficient_funds");
    expect(await balance(dave, "BTC")).toMatchObject({ available: "1.00000000", version: 1 });
    expect(await balance(erin, "BTC")).toBeNull();
    expect(await balance(erin, "USD")).toMatchObject({ available: "10.00", version: 1 });
  });

  it("a rejected operation does not stop the ones after it in the same batch", async () => {
    const frank = user("frank");
    const outs = await apply([credit(frank, "USD", "5"), debit(frank, "USD", "6"), debit(frank, "USD", "5")]);
    expect(outs.map((o) => o.status)).toEqual(["applied", "rejected", "applied"]);
    expect(await balance(frank, "USD")).toMatchObject({ available: "0.00", version: 2 });
  });
});

describe("replays", () => {
  it("replaying a whole batch changes nothing and returns the first results", async () => {
    const grace = user("grace");
    const ops = [
      pending(credit(grace, "BTC", "2")),
      pending(debit(grace, "BTC", "3")),
      pending(reserve(grace, "BTC", "1")),
    ];
    const first = await apply(ops);
    const entries = await entryCount();
    const before = await balance(grace, "BTC");
    const second = await apply(ops);
    expect(second.map((o) => o.replayed)).toEqual([true, true, true]);
    expect(second.map(({ replayed: _r, ...rest }) => rest)).toEqual(
      first.map(({ replayed: _r, ...rest }) => rest),
    );
    expect(await balance(grace, "BTC")).toEqual(before);
    expect(await entryCount()).toBe(entries);
  });

  it("with likelyFresh, a batch holding stored ids falls back to looking first and changes nothing", async () => {
    const ivan = user("ivan");
    const old = pending(credit(ivan, "USD", "4"));
    const [firstResult] = await apply([old]);
    const fresh = pending(credit(ivan, "USD", "1"));
    const entries = await entryCount();
    const outs = await applyOperationBatch(db, {
      partition: 1,
      operations: [fresh, old],
      scales,
      likelyFresh: true,
    });
    expect(outs[0]).toMatchObject({ id: fresh.id, status: "applied", replayed: false });
    expect(outs[1]).toEqual({ ...firstResult, replayed: true });
    expect(await balance(ivan, "USD")).toMatchObject({ available: "5.00", version: 2 });
    expect(await entryCount()).toBe(entries + 2);
  });

  it("ids already applied inside a new batch are skipped, and an id repeated in a batch applies once", async () => {
    const heidi = user("heidi");
    const old = pending(credit(heidi, "USD", "1"));
    const [firstResult] = await apply([old]);
    const fresh = pending(credit(heidi, "USD", "2"));
    const outs = await apply([old, fresh, fresh]);
    expect(outs[0]).toEqual({ ...firstResult, replayed: true });
    expect(outs[1]).toMatchObject({ status: "applied", replayed: false });
    expect(outs[2]).toMatchObject({ id: fresh.id, status: "applied", replayed: true });
    expect(await balance(heidi, "USD")).toMatchObject({ available: "3.00", version: 2 });
  });
});

describe("large batches (written through COPY)", () => {
  it("store the same results as small ones, with metadata and keys that need escaping kept exactly", async () => {
    const [judy, kim] = [user("judy"), user("kim")];
    const awkward = {
      note: 'tab\there, newline\nthere, backslash \\ and "quotes"',
      emoji: "ünï ✓",
      nested: { a: [1, 2] },
    };
    const requests: OperationRequest[] = [];
    for (let i = 0; i < 50; i++) {
      requests.push({ ...credit(judy, "USD", "2"), metadata: { i, ...awkward } });
      requests.push({ ...reserve(judy, "USD", "1"), callbackUrl: "https://hooks.example.com/x" });
    }
    requests.push(debit(kim, "USD", "1"));
    const ops = requests.map((r, i) => ({
      ...pending(r),
      idempotencyKey: i === 0 ? "key\\with\ttab" : null,
    }));
    expect(ops.length).toBeGreaterThan(SMALL_BATCH);
    const outs = await apply(ops);
    expect(outs.filter((o) => o.status === "applied")).toHaveLength(100);
    expect(outs.at(-1)?.rejection?.code).toBe("insufficient_funds");
    expect(await balance(judy, "USD")).toMatchObject({ available: "50.00", reserved: "50.00", version: 100 });
    const stored = await db
      .selectFrom("operations")
      .selectAll()
      .where("id", "=", ops[0]?.id as string)
      .executeTakeFirst();
    expect(stored?.request).toEqual(requests[0]);
    expect(stored?.idempotency_key).toBe("key\\with\ttab");
    expect(stored?.balances).toEqual(outs[0]?.balances);
    const outbox = await db
      .selectFrom("webhook_outbox")
      .select("operation_id")
      .where(
        "operation_id",
        "in",
        ops.map((o) => o.id),
      )
      .execute();
    expect(outbox).toHaveLength(50);
    // Entry ids follow the order of application: judy's versions rise with the ids.
    const entries = await db
      .selectFrom("ledger_entries")
      .select(["id", "version"])
      .where("user_id", "=", judy)
      .orderBy("id")
      .execute();
    expect(entries.map((e) => e.version)).toEqual([...entries.map((e) => e.version)].sort((a, b) => a - b));
  });
});
