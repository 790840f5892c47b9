import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, createPool, type Db, insertMaintenanceRun, type MaintenanceRunRow } from "@accounts/db";
import { JOB_NAMES, type MaintenanceTask } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase, waitFor } from "@accounts/tests/harness";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadSchedulerConfig } from "./config.ts";
import { type Scheduler, startScheduler } from "./startScheduler.ts";

// Scheduler instances in this process against real Redis (a unique queue namespace per test) and
// real PostgreSQL. Each instance has its own connections, as separate processes would.

const database = useTestDatabase();
const log = createLogger({ service: "test", level: "silent" });
let db: Db;
let backupDir: string;
const started: Scheduler[] = [];

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 4 }));
  backupDir = mkdtempSync(join(tmpdir(), "accounts-scheduler-backups-"));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await db.destroy();
  rmSync(backupDir, { recursive: true, force: true });
});

function configFor(namespace: string, env: Record<string, string> = {}) {
  return loadSchedulerConfig({
    DATABASE_URL: database.url(),
    REDIS_URL: harnessRedisUrl(),
    QUEUE_NAMESPACE: namespace,
    PARTITIONS: "2",
    SCHEDULE_BACKUP: "off",
    SCHEDULE_VACUUM: "off",
    SCHEDULE_PARTITIONS: "off",
    SCHEDULE_PRUNE_LOGS: "off",
    SCHEDULE_BACKUP_FULL: "off",
    SCHEDULE_BACKUP_DIFF: "off",
    SCHEDULE_BACKUP_INCR: "off",
    SCHEDULE_ARCHIVE_CHECK: "off",
    SCHEDULE_RECONCILE: "off",
    BACKUP_DIR: backupDir,
    ...env,
  });
}

async function start(
  namespace: string,
  env: Record<string, string> = {},
  instance = "test",
): Promise<Scheduler> {
  const registry = new Registry();
  const scheduler = await startScheduler({ config: configFor(namespace, env), db, log, registry, instance });
  started.push(scheduler);
  return scheduler;
}

async function runsOf(task: MaintenanceTask): Promise<MaintenanceRunRow[]> {
  return db.selectFrom("maintenance_runs").selectAll().where("task", "=", task).orderBy("id").execute();
}

async function metric(scheduler: Scheduler, name: string, labels: Record<string, string> = {}) {
  const all = [
    scheduler.metrics.runs,
    scheduler.metrics.lastSuccess,
    scheduler.metrics.backupSizeBytes,
    scheduler.metrics.reconcileOk,
  ];
  for (const m of all) {
    const got = await m.get();
    if (got.name !== name) continue;
    return got.values.find((v) =>
      Object.entries(labels).every(
        ([k, value]) => (v.labels as Record<string, string | number | undefined>)[k] === value,
      ),
    )?.value;
  }
  return undefined;
}

describe("scheduler", () => {
  it("runs each tick once with two instances, recording every run", async () => {
    const namespace = uniquePrefix("sched-two").toLowerCase().slice(0, 32);
    const env = { SCHEDULE_RECONCILE: "* * * * * *" };
    const [a, b] = await Promise.all([start(namespace, env, "a"), start(namespace, env, "b")]);
    expect(a.schedules.enabled).toEqual({ reconcile: "* * * * * *" });
    await waitFor(
      async () => (await runsOf("reconcile")).filter((r) => r.status === "succeeded").length >= 5,
      {
        timeoutMs: 15_000,
        message: "five reconcile ticks",
      },
    );
    await Promise.all(started.splice(0).map((s) => s.close()));

    const runs = (await runsOf("reconcile")).filter((r) => r.trigger === "schedule");
    const ticks = runs.map((r) => String(r.details.scheduledFor));
    expect(new Set(ticks).size).toBe(runs.length);
    for (const tick of ticks) expect(Date.parse(tick) % 1000).toBe(0);
    expect(runs.every((r) => r.status === "succeeded")).toBe(true);
    const counted =
      ((await metric(a, "accounts_maintenance_runs_total", { task: "reconcile", status: "succeeded" })) ??
        0) +
      ((await metric(b, "accounts_maintenance_runs_total", { task: "reconcile", status: "succeeded" })) ?? 0);
    expect(counted).toBe(runs.length);
    // The schedulers are off now: nothing more runs.
    const count = runs.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await runsOf("reconcile")).filter((r) => r.trigger === "schedule")).toHaveLength(count);
  });

  it("runs a tick claimed twice only once, and resumes a run whose job comes back", async () => {
    const scheduler = await start(uniquePrefix("sched-claim").toLowerCase().slice(0, 32));
    const tick = new Date(Date.UTC(2026, 10, 27, 6, 0, 0));
    const request = {
      task: "vacuum" as const,
      trigger: "schedule" as const,
      runId: null,
      jobId: `repeat:vacuum:${tick.getTime()}`,
      scheduledFor: tick,
    };
    const [first, second] = await Promise.all([
      scheduler.runner.run(request),
      scheduler.runner.run({ ...request, jobId: `${request.jobId}-duplicate` }),
    ]);
    expect([first.kind, second.kind].sort()).toEqual(["duplicate", "succeeded"]);
    expect((await scheduler.runner.run(request)).kind).toBe("duplicate");

    // A job that died mid-run comes back with the same id while its row still says running.
    const crashed = {
      ...request,
      jobId: "repeat:vacuum:1",
      scheduledFor: new Date(tick.getTime() + 3600_000),
    };
    await db
      .insertInto("maintenance_runs")
      .values({
        task: "vacuum",
        status: "running",
        trigger: "schedule",
        details: JSON.stringify({ jobId: crashed.jobId, scheduledFor: crashed.scheduledFor.toISOString() }),
      })
      .execute();
    const resumed = await scheduler.runner.run(crashed);
    expect(resumed.kind).toBe("succeeded");
    const rows = (await runsOf("vacuum")).filter((r) => r.details.jobId === crashed.jobId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.details.resumedAt).toEqual(expect.any(String));
  });

  it("runs an operator's request into the row the API made, and publishes the backup's metrics", async () => {
    const scheduler = await start(uniquePrefix("sched-operator").toLowerCase().slice(0, 32));
    const runId = await insertMaintenanceRun(db, {
      task: "backup",
      trigger: "operator",
      details: { clientId: "cl_ops" },
    });
    await scheduler.queue.add(
      JOB_NAMES.backup,
      { v: 1, task: "backup", trigger: "operator", runId },
      { jobId: `run-${runId}` },
    );
    const run = await waitFor(async () => {
      const row = (await runsOf("backup")).find((r) => r.id === runId);
      return row?.status === "succeeded" ? row : undefined;
    });
    expect(await runsOf("backup")).toHaveLength(1);
    expect(run.details).toMatchObject({
      clientId: "cl_ops",
      jobId: `run-${runId}`,
      requestedAt: expect.any(String),
      upload: "not configured",
      sizeBytes: expect.any(Number),
    });
    expect(String(run.details.file)).toContain(backupDir);
    expect(await metric(scheduler, "accounts_backup_last_size_bytes")).toBe(run.details.sizeBytes);
    expect(
      await metric(scheduler, "accounts_maintenance_runs_total", { task: "backup", status: "succeeded" }),
    ).toBe(1);
    const lastSuccess = await metric(scheduler, "accounts_maintenance_last_success_timestamp_seconds", {
      task: "backup",
    });
    expect(Math.abs((lastSuccess ?? 0) - Date.now() / 1000)).toBeLessThan(30);

    // A new instance (a restart) reads the same from the database.
    const fresh = await start(uniquePrefix("sched-restart").toLowerCase().slice(0, 32));
    expect(await metric(fresh, "accounts_backup_last_size_bytes")).toBe(run.details.sizeBytes);
    expect(
      await metric(fresh, "accounts_maintenance_last_success_timestamp_seconds", { task: "backup" }),
    ).toBeCloseTo(lastSuccess ?? 0, 0);
  });

  it("records a failing task as failed, fails its job, and counts it", async () => {
    const scheduler = await start(uniquePrefix("sched-fail").toLowerCase().slice(0, 32), {
      PG_BIN_DIR: "/nonexistent/bin",
    });
    const runId = await insertMaintenanceRun(db, { task: "backup", trigger: "operator" });
    await scheduler.queue.add(
      JOB_NAMES.backup,
      { v: 1, task: "backup", trigger: "operator", runId },
      { jobId: `run-${runId}` },
    );
    const run = await waitFor(async () => {
      const row = (await runsOf("backup")).find((r) => r.id === runId);
      return row?.status === "failed" ? row : undefined;
    });
    expect(run.details.error).toContain("/nonexistent/bin/pg_dump is missing");
    expect(run.finished_at).toBeInstanceOf(Date);
    const job = await waitFor(async () => {
      const found = await scheduler.queue.getJob(`run-${runId}`);
      return (await found?.isFailed()) ? found : undefined;
    });
    expect(job.failedReason).toContain(`backup run ${runId} failed`);
    expect(
      await metric(scheduler, "accounts_maintenance_runs_total", { task: "backup", status: "failed" }),
    ).toBe(1);
  });

  it("refuses a wrong cron pattern, naming the variable", async () => {
    await expect(
      start(uniquePrefix("sched-bad").toLowerCase().slice(0, 32), { SCHEDULE_VACUUM: "61 * * * *" }),
    ).rejects.toThrow(/SCHEDULE_VACUUM="61 \* \* \* \*" is not a valid cron pattern/);
    expect(() => configFor("x", { SCHEDULE_BACKUP: "every hour" })).toThrow(
      /SCHEDULE_BACKUP: must be a cron pattern/,
    );
  });
});
