import {
  applyOperationBatch,
  createDb,
  createPool,
  type Db,
  finishMaintenanceRun,
  insertMaintenanceRun,
  listTimePartitions,
} from "@accounts/db";
import { newQueuedOperation } from "@accounts/domain";
import { createLogger } from "@accounts/runtime";
import { useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMaintenanceMetrics, type MaintenanceMetrics } from "../metrics.ts";
import { partitionsTask } from "./partitions.ts";

// Real PostgreSQL; the clock of the task is moved instead of waiting for partitions to expire.

const database = useTestDatabase();
const DAY = 86_400_000;
const log = createLogger({ service: "test", level: "silent" });
let db: Db;
let metrics: MaintenanceMetrics;
const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
const day = (offset: number) => new Date(today.getTime() + offset * DAY);
const dayName = (offset: number) =>
  `operations_${day(offset).toISOString().slice(0, 10).replaceAll("-", "")}`;
const monthName = (date: Date) => `ledger_entries_${date.toISOString().slice(0, 7).replace("-", "")}`;

const config = {
  PARTITION_DAYS_AHEAD: 7,
  PARTITION_MONTHS_AHEAD: 2,
  OPERATIONS_RETENTION_DAYS: 30,
  LEDGER_RETENTION_MONTHS: undefined as number | undefined,
  PARTITION_LOCK_TIMEOUT_SECONDS: 5,
};

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 3 }));
  metrics = createMaintenanceMetrics(new Registry());
});
afterAll(async () => {
  await db.destroy();
});

async function run(now: Date, overrides: Partial<typeof config> = {}) {
  const task = partitionsTask({ db, metrics, config: { ...config, ...overrides } });
  return task({ runId: 1, trigger: "schedule", now: () => now, log });
}

async function partitionNames(): Promise<string[]> {
  return (await listTimePartitions(db)).map((p) => p.name);
}

/** A successful backup run that started at `at` (as the backup task records one). */
async function backupAt(at: Date): Promise<void> {
  const id = await insertMaintenanceRun(db, { task: "backup", trigger: "schedule" });
  await finishMaintenanceRun(db, id, "succeeded", { file: "test.dump" });
  await db.updateTable("maintenance_runs").set({ started_at: at }).where("id", "=", id).execute();
}

async function gauge(table: string): Promise<number | undefined> {
  return (await metrics.partitionsDaysAhead.get()).values.find((v) => v.labels.table === table)?.value;
}

describe("partitions task", () => {
  it("creates the partitions ahead of its clock, once", async () => {
    const now = new Date(day(40).getTime() + 6 * 3600_000);
    const first = await run(now);
    expect(first.ok).toBe(true);
    // Days 39..47 are new (the migration made -1..+7); months are those of now and two after.
    expect(first.details.created).toBeGreaterThanOrEqual(9);
    const names = await partitionNames();
    for (let offset = 39; offset <= 47; offset++) expect(names).toContain(dayName(offset));
    expect(names).toContain(monthName(now));
    expect(await gauge("operations")).toBeCloseTo(7.75, 2);
    expect(await gauge("ledger_entries")).toBeGreaterThan(59);
    expect((await run(now)).details.created).toBe(0);
  });

  it("drops nothing while no backup exists, and says so", async () => {
    const now = day(45);
    const outcome = await run(now);
    expect(outcome.ok).toBe(true);
    expect(outcome.details.dropped).toEqual([]);
    expect(outcome.details.heldForBackup).toEqual(
      expect.arrayContaining([dayName(-1), dayName(0), dayName(7)]),
    );
    expect(outcome.details.note).toBe("no successful backup exists: no expired partition was dropped");
    expect(await partitionNames()).toContain(dayName(0));
  });

  it("drops expired partitions only up to the newest backup, with their rows", async () => {
    const op = newQueuedOperation(
      { type: "credit", account: { userId: "p1", currency: "BTC" }, amount: "1" },
      "cl",
    );
    await applyOperationBatch(db, { partition: 0, operations: [op], scales: new Map([["BTC", 8]]) });
    const entriesBefore = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ledger_entries`.execute(db);

    await backupAt(new Date(day(3).getTime() + 3600_000));
    const outcome = await run(day(45));
    // Days -1..2 ended before the backup started; day 3 ended after it: held, as are the later ones.
    expect(outcome.details.dropped).toEqual([dayName(-1), dayName(0), dayName(1), dayName(2)]);
    expect(outcome.details.heldForBackup).toEqual(expect.arrayContaining([dayName(3), dayName(7)]));
    expect(outcome.details.heldForBackup).not.toContain(dayName(2));
    const names = await partitionNames();
    expect(names).not.toContain(dayName(0));
    expect(names).toContain(dayName(3));
    const left = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM operations WHERE id = ${op.id}`.execute(db);
    expect(left.rows[0]?.n).toBe(0);
    // Ledger entries are never dropped without LEDGER_RETENTION_MONTHS.
    const entriesAfter = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ledger_entries`.execute(db);
    expect(entriesAfter.rows[0]?.n).toBe(entriesBefore.rows[0]?.n);
    expect(names).toContain(monthName(today));

    await backupAt(day(44));
    const later = await run(day(45));
    expect(later.details.dropped).toEqual(expect.arrayContaining([dayName(3), dayName(7)]));
    expect(later.details.heldForBackup).toEqual([]);
  });

  it("drops ledger months only with LEDGER_RETENTION_MONTHS, and keeps the retention of operations", async () => {
    const now = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 5, 15));
    await backupAt(new Date(now.getTime() - DAY));
    const outcome = await run(now, { LEDGER_RETENTION_MONTHS: 2 });
    expect(outcome.ok).toBe(true);
    expect(outcome.details.dropped).toContain(monthName(today));
    expect(await partitionNames()).not.toContain(monthName(today));
    // The days just before now are within the 30 days: kept.
    expect(await partitionNames()).toContain(
      `operations_${new Date(now.getTime() - DAY).toISOString().slice(0, 10).replaceAll("-", "")}`,
    );
  });
});
