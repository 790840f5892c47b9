import { applyOperationBatch, createDb, createPool, type Db } from "@accounts/db";
import type { OperationRequest } from "@accounts/domain";
import { newQueuedOperation } from "@accounts/domain";
import { createLogger } from "@accounts/runtime";
import { useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMaintenanceMetrics, type MaintenanceMetrics } from "../metrics.ts";
import { reconcileTask } from "./reconcile.ts";

// Real PostgreSQL. The ledger is written by the real batch core, then changed behind its back.

const database = useTestDatabase();
const log = createLogger({ service: "test", level: "silent" });
let db: Db;
let registry: Registry;
let metrics: MaintenanceMetrics;
const context = { runId: 1, trigger: "schedule" as const, now: () => new Date(), log };

beforeAll(async () => {
  db = createDb(createPool(database.url(), { max: 3 }));
  registry = new Registry();
  metrics = createMaintenanceMetrics(registry);
  const requests: OperationRequest[] = [];
  for (let i = 0; i < 30; i++) {
    requests.push({ type: "credit", account: { userId: `r${i}`, currency: "USD" }, amount: "100.25" });
    requests.push({ type: "reserve", account: { userId: `r${i}`, currency: "USD" }, amount: "10" });
  }
  await applyOperationBatch(db, {
    partition: 1,
    operations: requests.map((request) => newQueuedOperation(request, "cl", "h")),
    scales: new Map([["USD", 2]]),
  });
});
afterAll(async () => {
  await db.destroy();
});

async function metricText(): Promise<string> {
  return registry.metrics();
}

describe("reconcile task", () => {
  it("finds a consistent ledger consistent", async () => {
    const outcome = await reconcileTask({ db, metrics, limit: 20 })(context);
    expect(outcome.ok).toBe(true);
    expect(outcome.details).toMatchObject({ ok: true, mismatches: 0, accountsChecked: 31, mismatching: [] });
    const text = await metricText();
    expect(text).toContain("accounts_reconcile_ok 1");
    expect(text).toContain("accounts_reconcile_mismatches 0");
  });

  it("detects a balance changed behind the system's back, naming the account", async () => {
    // As a stray manual fix would: the row stays self-consistent (total = available + reserved) and
    // passes every CHECK, but no entry explains it and the currency no longer sums to zero.
    await sql`UPDATE accounts SET available = available + 5, total = total + 5 WHERE user_id = 'r7'`.execute(
      db,
    );
    const outcome = await reconcileTask({ db, metrics, limit: 20 })(context);
    expect(outcome.ok).toBe(false);
    expect(outcome.details.mismatches).toBe(2);
    expect(outcome.details.mismatching).toEqual([
      { kind: "currency_sum_not_zero", userId: null, currency: "USD", detail: "sum of all balances is 5.00" },
      {
        kind: "entries_differ_from_balance",
        userId: "r7",
        currency: "USD",
        detail: "balance 95.25/10.00, entries sum to 90.25/10.00",
      },
    ]);
    expect(outcome.details.error).toBe("2 ledger invariant violation(s)");
    const text = await metricText();
    expect(text).toContain("accounts_reconcile_ok 0");
    expect(text).toContain("accounts_reconcile_mismatches 2");
  });

  it("names at most `limit` accounts but counts them all", async () => {
    await sql`UPDATE accounts SET version = version + 1 WHERE user_id LIKE 'r1%'`.execute(db);
    const outcome = await reconcileTask({ db, metrics, limit: 3 })(context);
    expect(outcome.details.mismatching).toHaveLength(3);
    expect(outcome.details.mismatches).toBe(2 + 11);
  });
});
