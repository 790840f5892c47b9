import { newQueuedOperation, type OperationRequest, type QueuedOperation } from "@accounts/domain";
import { useTestDatabase } from "@accounts/tests/harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, createPool, type Db } from "../pool.ts";
import { applyOperationBatch } from "./applyOperationBatch.ts";
import { checkLedgerInvariants } from "./checkLedgerInvariants.ts";
import { SMALL_BATCH } from "./writeBatch.ts";

// PostgreSQL as the last word on Idempotency-Keys: a second operation id under a key another
// operation was applied under (Redis forgot the key, the retry got a new id) is never applied. Real
// PostgreSQL; both write paths (one statement, COPY), first runs and replays.

const database = useTestDatabase();
let db: Db;
const scales = new Map([["USD", 2]]);

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 4 }));
});
afterAll(async () => {
  await db.destroy();
});
afterEach(async () => {
  expect((await checkLedgerInvariants(db)).violations).toEqual([]);
});

let counter = 0;
const unique = (label: string) => `${label}-${++counter}`;
const credit = (userId: string, amount = "1"): OperationRequest => ({
  type: "credit",
  account: { userId, currency: "USD" },
  amount,
});
function keyed(request: OperationRequest, key: string | null, clientId = "client-k"): QueuedOperation {
  return { ...newQueuedOperation(request, clientId, "h"), idempotencyKey: key };
}

async function available(userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("accounts")
    .select("available")
    .where("user_id", "=", userId)
    .where("currency", "=", "USD")
    .executeTakeFirst();
  return row?.available;
}

async function statusOf(id: string) {
  return db.selectFrom("operations").select(["status", "rejection"]).where("id", "=", id).executeTakeFirst();
}

describe.each([
  ["one statement", 1],
  ["COPY", SMALL_BATCH + 5],
])("idempotency keys in PostgreSQL (%s)", (_, size) => {
  /** `size` unkeyed filler operations around the keyed ones, so that the batch takes the write path. */
  const filler = (userId: string) =>
    Array.from({ length: size - 1 }, () => keyed(credit(userId, "0.01"), null));

  it.each([true, false])(
    "rejects a second id under an applied key as a duplicate (first run: %s)",
    async (likelyFresh) => {
      const userId = unique("dup");
      const key = unique("key");
      const first = keyed(credit(userId, "5"), key);
      const second = keyed(credit(userId, "5"), key);
      await applyOperationBatch(db, {
        partition: 1,
        operations: [first, ...filler(userId)],
        scales,
        likelyFresh,
      });
      const outcomes = await applyOperationBatch(db, {
        partition: 1,
        operations: [...filler(userId), second],
        scales,
        likelyFresh,
      });
      const fillerTotal = (2 * (size - 1)) / 100;
      expect(await available(userId)).toBe((5 + fillerTotal).toFixed(2));
      expect(outcomes.at(-1)).toMatchObject({
        id: second.id,
        status: "rejected",
        rejection: { code: "duplicate_idempotency_key", duplicateOf: first.id },
      });
      expect(await statusOf(second.id)).toMatchObject({
        status: "rejected",
        rejection: { code: "duplicate_idempotency_key", duplicateOf: first.id },
      });
      expect(await statusOf(first.id)).toMatchObject({ status: "applied" });

      // The second job run again: its stored result, nothing applied.
      const again = await applyOperationBatch(db, {
        partition: 1,
        operations: [second],
        scales,
        likelyFresh,
      });
      expect(again[0]).toMatchObject({ status: "rejected", replayed: true });
      expect(await available(userId)).toBe((5 + fillerTotal).toFixed(2));
    },
  );

  it("applies one of two ids under the same key in one batch, the first", async () => {
    const userId = unique("dup-in-batch");
    const key = unique("key");
    const first = keyed(credit(userId, "3"), key);
    const second = keyed(credit(userId, "3"), key);
    const outcomes = await applyOperationBatch(db, {
      partition: 1,
      operations: [first, second, ...filler(userId)],
      scales,
      likelyFresh: true,
    });
    expect(outcomes[0]).toMatchObject({ id: first.id, status: "applied" });
    expect(outcomes[1]).toMatchObject({
      id: second.id,
      status: "rejected",
      rejection: { duplicateOf: first.id },
    });
    expect(await available(userId)).toBe((3 + (size - 1) / 100).toFixed(2));
  });

  it("keeps keys per client, and a key whose first operation was rejected stays taken by it", async () => {
    const userId = unique("per-client");
    const key = unique("key");
    const tooMuch: OperationRequest = {
      type: "debit",
      account: { userId, currency: "USD" },
      amount: "100",
      bucket: "available",
    };
    const rejected = keyed(tooMuch, key, "client-x");
    const otherClient = keyed(credit(userId, "2"), key, "client-y");
    const retry = keyed(credit(userId, "2"), key, "client-x");
    const outcomes = await applyOperationBatch(db, {
      partition: 1,
      operations: [rejected, otherClient, retry, ...filler(userId)],
      scales,
      likelyFresh: true,
    });
    expect(outcomes.slice(0, 3).map((o) => o.rejection?.code ?? o.status)).toEqual([
      "insufficient_funds",
      "applied",
      "duplicate_idempotency_key",
    ]);
  });
});
