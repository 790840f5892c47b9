import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, createPool, type Db, insertAuditEvents, insertDeliveryAttempt } from "@accounts/db";
import { createRedis, partitionQueue, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase, waitFor } from "@accounts/tests/harness";
import { Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneLogsTask } from "./pruneLogs.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// Real files, real Redis (BullMQ queues under a unique namespace) and real PostgreSQL.

const database = useTestDatabase();
const DAY = 86_400_000;
const log = createLogger({ service: "test", level: "silent" });
let db: Db;
let connection: RedisClient;
let dir: string;
let outside: string;
const now = new Date();
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 2 }));
  connection = createRedis({ url: harnessRedisUrl() }, "queue", quietLog);
  dir = mkdtempSync(join(tmpdir(), "accounts-logs-"));
  outside = mkdtempSync(join(tmpdir(), "accounts-logs-outside-"));
});
afterAll(async () => {
  connection.disconnect();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function file(path: string, ageDays: number): string {
  writeFileSync(path, "line\n".repeat(10));
  const at = daysAgo(ageDays);
  utimesSync(path, at, at);
  return path;
}

const config = (catalogDir: string | undefined) => ({
  LOG_DIR: catalogDir,
  LOG_RETENTION_DAYS: 14,
  WEBHOOK_DELIVERIES_RETENTION_DAYS: 30,
  AUDIT_LOG_RETENTION_DAYS: 365,
  MAINTENANCE_RUNS_RETENTION_DAYS: 180,
});

describe("prune-logs task", () => {
  it("deletes old log files only: no other files, no symlinks, nothing behind a symlink", async () => {
    file(join(dir, "api.log"), 1);
    file(join(dir, "api.log.1"), 20);
    file(join(dir, "api.log.2.gz"), 30);
    file(join(dir, "worker.log-20261001"), 40);
    file(join(dir, "notes.txt"), 100);
    file(join(dir, "catalog.logbook"), 100);
    mkdirSync(join(dir, "old"));
    file(join(dir, "old", "scheduler.log"), 50);
    const target = file(join(outside, "precious.log"), 100);
    symlinkSync(target, join(dir, "link.log"));
    symlinkSync(outside, join(dir, "linked-dir"));

    const outcome = await pruneLogsTask({
      db,
      connection,
      catalog: { namespace: uniquePrefix("prune-files").toLowerCase().slice(0, 32), partitions: 1 },
      config: config(dir),
    })({ runId: 1, trigger: "schedule", now: () => now, log });

    expect(outcome.ok).toBe(true);
    const files = outcome.details.logFiles as {
      deleted: string[];
      symlinksSkipped: number;
      bytesFreed: number;
    };
    expect(files.deleted.sort()).toEqual([
      "api.log.1",
      "api.log.2.gz",
      "old/scheduler.log",
      "worker.log-20261001",
    ]);
    expect(files.symlinksSkipped).toBe(2);
    expect(files.bytesFreed).toBe(4 * 50);
    expect((await readdir(dir)).sort()).toEqual([
      "api.log",
      "catalog.logbook",
      "link.log",
      "linked-dir",
      "notes.txt",
      "old",
    ]);
    expect(await readdir(outside)).toEqual(["precious.log"]);
  });

  it("says so when LOG_DIR is not set", async () => {
    const outcome = await pruneLogsTask({
      db,
      connection,
      catalog: { namespace: uniquePrefix("prune-none").toLowerCase().slice(0, 32), partitions: 1 },
      config: config(undefined),
    })({ runId: 1, trigger: "schedule", now: () => now, log });
    expect(outcome.details.logFiles).toBe("LOG_DIR not set");
  });

  it("trims finished jobs past their queue's retention, and old rows past theirs", async () => {
    const catalog = { namespace: uniquePrefix("prune-jobs").toLowerCase().slice(0, 32), partitions: 2 };
    const ref = partitionQueue(catalog, 1);
    const queue = new Queue(ref.name, { connection, prefix: ref.prefix });
    const workerConnection = createRedis({ url: harnessRedisUrl() }, "consumer", quietLog);
    const worker = new Worker(
      ref.name,
      async (job) => {
        if (job.data.fail) throw new Error("boom");
      },
      { connection: workerConnection, prefix: ref.prefix },
    );
    const jobs = await queue.addBulk([
      { name: "apply", data: { n: 1 } },
      { name: "apply", data: { n: 2 } },
      { name: "apply", data: { n: 3 } },
      { name: "apply", data: { fail: true } },
      { name: "apply", data: { fail: true } },
    ]);
    await waitFor(
      async () => (await queue.getCompletedCount()) === 3 && (await queue.getFailedCount()) === 2,
    );
    await worker.close();
    workerConnection.disconnect();
    // Age two completed jobs past the partition queues' hour, and one failed job past their 30 days.
    const key = (set: string) => `${ref.prefix}:${ref.name}:${set}`;
    await connection.zadd(key("completed"), "XX", daysAgo(0.1).getTime(), jobs[0]?.id ?? "");
    await connection.zadd(key("completed"), "XX", daysAgo(0.1).getTime(), jobs[1]?.id ?? "");
    await connection.zadd(key("failed"), "XX", daysAgo(31).getTime(), jobs[3]?.id ?? "");

    await insertDeliveryAttempt(db, deliveryAt(daysAgo(31)));
    await insertDeliveryAttempt(db, deliveryAt(daysAgo(29)));
    await insertAuditEvents(db, [
      { event: "auth.failed", at: daysAgo(400) },
      { event: "auth.failed", at: daysAgo(10) },
    ]);
    await db
      .insertInto("maintenance_runs")
      .values([
        { task: "vacuum", status: "succeeded", started_at: daysAgo(200), details: "{}" },
        { task: "vacuum", status: "succeeded", started_at: daysAgo(2), details: "{}" },
      ])
      .execute();

    const outcome = await pruneLogsTask({ db, connection, catalog, config: config(undefined) })({
      runId: 1,
      trigger: "schedule",
      now: () => now,
      log,
    });
    expect(outcome.details.jobs).toMatchObject({
      completedRemoved: 2,
      failedRemoved: 1,
      queues: [{ queue: ref.name, completed: 2, failed: 1 }],
    });
    expect(await queue.getCompletedCount()).toBe(1);
    expect(await queue.getFailedCount()).toBe(1);
    expect(outcome.details.rowsDeleted).toEqual({ webhook_deliveries: 1, audit_log: 1, maintenance_runs: 1 });
    expect(await db.selectFrom("webhook_deliveries").select("id").execute()).toHaveLength(1);
    await queue.obliterate({ force: true });
    await queue.close();
  });
});

function deliveryAt(at: Date) {
  return {
    operation_id: "op_x",
    client_id: "cl",
    attempt: 1,
    at,
    url: "https://hooks.example.com/",
    status_code: 204,
    error: null,
    duration_ms: 3,
  };
}
