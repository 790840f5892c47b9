import {
  newOperationId,
  newQueuedOperation,
  type OperationRequest,
  type QueuedOperation,
} from "@accounts/domain";
import { useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyOperationBatch } from "../ledger/applyOperationBatch.ts";
import { createDb, createPool, type Db } from "../pool.ts";
import { deleteOutboxRows } from "./deleteOutboxRows.ts";
import { findOutboxRows } from "./findOutboxRows.ts";
import { findStaleOutbox } from "./findStaleOutbox.ts";
import { insertDeliveryAttempt } from "./insertDeliveryAttempt.ts";
import { listDeliveries } from "./listDeliveries.ts";
import { tryLockOutboxSweep } from "./tryLockOutboxSweep.ts";

// Real PostgreSQL (this file's clone of the migrated template); nothing is faked.

const database = useTestDatabase();
let db: Db;
const scales = new Map([["BTC", 8]]);

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 4 }));
});
afterAll(async () => {
  await db.destroy();
});

let counter = 0;
function pending(request: OperationRequest): QueuedOperation {
  return newQueuedOperation(request, "client-w", "test");
}
function credit(callbackUrl?: string): QueuedOperation {
  counter += 1;
  return pending({
    type: "credit",
    account: { userId: `hooked-${counter}`, currency: "BTC" },
    amount: "1",
    ...(callbackUrl ? { callbackUrl } : {}),
  });
}

describe("the webhook outbox", () => {
  it("gets a row for each final operation with a callback URL, applied or rejected, and only those", async () => {
    const applied = credit("https://hooks.example.com/a");
    const rejected = pending({
      type: "debit",
      account: { userId: "hooked-nobody", currency: "BTC" },
      amount: "1",
      bucket: "available",
      callbackUrl: "https://hooks.example.com/r",
    });
    const silent = credit();
    await applyOperationBatch(db, { partition: 0, operations: [applied, rejected, silent], scales });
    const rows = await findOutboxRows(db, [applied.id, rejected.id, silent.id]);
    expect(rows.map((r) => [r.operation_id, r.url]).sort()).toEqual(
      [
        [applied.id, "https://hooks.example.com/a"],
        [rejected.id, "https://hooks.example.com/r"],
      ].sort(),
    );
    expect(rows.find((r) => r.operation_id === applied.id)?.accepted_at.getTime()).toBe(applied.acceptedAt);

    expect(await deleteOutboxRows(db, [applied.id, rejected.id, "op_unknown"])).toBe(2);
    expect(await findOutboxRows(db, [applied.id, rejected.id])).toEqual([]);
    expect(await deleteOutboxRows(db, [])).toBe(0);
  });

  it("finds stale rows oldest first, up to the limit", async () => {
    const ops = [credit("https://h.example.com/1"), credit("https://h.example.com/2")];
    await applyOperationBatch(db, { partition: 0, operations: ops, scales });
    const ids = ops.map((o) => o.id);
    await sql`UPDATE webhook_outbox SET created_at = now() - interval '1 hour' WHERE operation_id = ANY(${ids}::text[])`.execute(
      db,
    );
    const stale = await findStaleOutbox(db, new Date(Date.now() - 60_000), 1000);
    expect(stale.map((r) => r.operation_id)).toEqual(expect.arrayContaining(ids));
    expect(await findStaleOutbox(db, new Date(Date.now() - 2 * 3600_000), 1000)).toEqual([]);
    expect(await findStaleOutbox(db, new Date(), 1)).toHaveLength(1);
    await deleteOutboxRows(db, ids);
  });

  it("lets one sweeper at a time hold the sweep lock", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first: Promise<boolean> | undefined;
    const holder = db.transaction().execute(async (trx) => {
      first = tryLockOutboxSweep(trx);
      await first;
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await first).toBe(true);
    expect(await db.transaction().execute((trx) => tryLockOutboxSweep(trx))).toBe(false);
    release();
    await holder;
    // Released with its transaction.
    expect(await db.transaction().execute((trx) => tryLockOutboxSweep(trx))).toBe(true);
  });
});

describe("delivery attempts", () => {
  it("are listed per operation, oldest attempt first", async () => {
    const id = newOperationId();
    const base = { operation_id: id, client_id: "client-w", url: "https://h.example.com/x" };
    await insertDeliveryAttempt(db, {
      ...base,
      attempt: 2,
      at: new Date(),
      status_code: 204,
      error: null,
      duration_ms: 5,
    });
    await insertDeliveryAttempt(db, {
      ...base,
      attempt: 1,
      at: new Date(),
      status_code: null,
      error: "timeout",
      duration_ms: 10_000,
    });
    await insertDeliveryAttempt(db, {
      ...base,
      operation_id: newOperationId(),
      attempt: 1,
      at: new Date(),
      status_code: 200,
      error: null,
      duration_ms: 1,
    });
    const rows = await listDeliveries(db, id);
    expect(rows.map((r) => [r.attempt, r.status_code, r.error, r.duration_ms])).toEqual([
      [1, null, "timeout", 10_000],
      [2, 204, null, 5],
    ]);
    expect(rows[0]?.at).toBeInstanceOf(Date);
  });
});
