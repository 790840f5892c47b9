import { applyOperationBatch, createDb, createPool, type Db, listTimePartitions } from "@accounts/db";
import { freePort } from "@accounts/devstack";
import { capturingLogger } from "@accounts/runtime";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installPoisonTrigger, queuedCredit, useWorkerTestBed } from "../testing/workerTestDeps.ts";
import { applyWithRetry, PoisonBatchError, StoppingError } from "./applyWithRetry.ts";

// Real PostgreSQL: the transient failure is a real lock timeout, the missing partition a dropped
// one, the poison a trigger that fails every time, the outage a port nobody listens on.

const bed = useWorkerTestBed();
const scales = new Map([["USD", 2]]);
/** A pool whose transactions give up on a row lock after 50 ms (55P03, retryable). */
let impatient: Db;

beforeAll(() => {
  impatient = createDb(createPool(`${bed().databaseUrl}?options=-c%20lock_timeout%3D50`, { max: 2 }));
});
afterAll(async () => {
  await impatient?.destroy();
});

describe("applyWithRetry", () => {
  it("retries a transient failure in place until the batch goes through", async () => {
    const user = "retry-lock";
    await applyOperationBatch(bed().db, { partition: 0, operations: [queuedCredit(user, "1")], scales });
    const input = { partition: 0, operations: [queuedCredit(user, "2")], scales };
    // Another transaction holds the account's row.
    let release: () => void = () => {};
    const holding = bed()
      .db.transaction()
      .execute(async (trx) => {
        await sql`SELECT 1 FROM accounts WHERE user_id = ${user} FOR UPDATE`.execute(trx);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      });
    try {
      // Negative control: without the retry, the lock timeout is an error.
      await expect(applyOperationBatch(impatient, input)).rejects.toMatchObject({ code: "55P03" });
      let failures = 0;
      const applying = applyWithRetry(impatient, input, {
        ...bed().applyDeps(),
        onTransientFailure: () => {
          failures += 1;
          if (failures === 2) release();
        },
      });
      const [outcome] = await applying;
      expect(outcome).toMatchObject({ status: "applied", balances: [{ available: "3.00", version: 2 }] });
      expect(failures).toBe(2);
    } finally {
      release();
      await holding;
    }
  });

  it("creates the missing time partitions, as far ahead as configured, then applies", async () => {
    const db = bed().db;
    const day = (offset: number) => {
      const date = new Date(Date.now() + offset * 86_400_000);
      return `operations_${date.toISOString().slice(0, 10).replaceAll("-", "")}`;
    };
    // The scheduler fell behind: today's partition and the next days' are gone (they are empty here).
    for (let offset = 0; offset <= 7; offset++) {
      await sql`DROP TABLE IF EXISTS ${sql.table(day(offset))}`.execute(db);
    }
    const input = { partition: 0, operations: [queuedCredit("partition-missing")], scales };
    await expect(applyOperationBatch(db, input)).rejects.toThrow(/no partition of relation/);
    const [outcome] = await applyWithRetry(db, input, {
      ...bed().applyDeps(),
      partitionsAhead: { daysAhead: 3, monthsAhead: 2 },
    });
    expect(outcome?.status).toBe("applied");
    const names = new Set((await listTimePartitions(db)).map((p) => p.name));
    expect([0, 1, 2, 3].map((offset) => names.has(day(offset)))).toEqual([true, true, true, true]);
    expect(names.has(day(4))).toBe(false);
  });

  it("declares a batch poison once a non-transient failure outlasts its retries", async () => {
    await installPoisonTrigger(bed().db);
    const { log, lines } = capturingLogger();
    const input = { partition: 0, operations: [queuedCredit("poison-retry")], scales };
    const error = await applyWithRetry(bed().db, input, {
      ...bed().applyDeps({ log }),
      nonTransientRetries: 2,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonBatchError);
    expect((error as Error).message).toMatch(/poisoned entry for poison-retry/);
    // Two retries were logged before the third failure made it poison.
    expect(lines.filter((line) => line.msg === "batch failed: retrying").map((line) => line.attempt)).toEqual(
      [1, 2],
    );
  });

  it("hands the batch back when the worker stops while it waits for the database", async () => {
    const down = createDb(createPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { max: 1 }));
    const stop = new AbortController();
    try {
      const input = { partition: 0, operations: [queuedCredit("stopping")], scales };
      const waiting = applyWithRetry(down, input, {
        ...bed().applyDeps({ stopping: stop.signal }),
        onTransientFailure: () => stop.abort(),
      });
      await expect(waiting).rejects.toBeInstanceOf(StoppingError);
    } finally {
      await down.destroy();
    }
  });
});
