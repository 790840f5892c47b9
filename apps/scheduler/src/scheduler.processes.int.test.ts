import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, createPool, type Db } from "@accounts/db";
import { type AppProcess, freePort, launchApp } from "@accounts/devstack";
import {
  harnessRedisUrl,
  REPO_ROOT,
  scaledTimeout,
  uniquePrefix,
  useTestDatabase,
  waitFor,
} from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Two real scheduler processes (the built app, as the deployment runs it) on one Redis
// and one database, ticking every second: each tick must run once, whichever process takes it.

const database = useTestDatabase();
let db: Db;
let backupDir: string;

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 2 }));
  backupDir = mkdtempSync(join(tmpdir(), "accounts-scheduler-proc-"));
});
afterAll(async () => {
  await db.destroy();
  rmSync(backupDir, { recursive: true, force: true });
});

/** A built scheduler (node dist/scheduler/main.js) started by the devstack's launcher; not yet ready. */
async function launchScheduler(namespace: string): Promise<AppProcess> {
  return launchApp({
    app: "scheduler",
    mode: "built",
    cwd: REPO_ROOT,
    readyTimeoutMs: scaledTimeout(30_000),
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: database.url(),
      REDIS_URL: harnessRedisUrl(),
      QUEUE_NAMESPACE: namespace,
      PARTITIONS: "2",
      SCHEDULER_METRICS_PORT: String(await freePort()),
      SCHEDULE_RECONCILE: "* * * * * *",
      SCHEDULE_BACKUP: "off",
      SCHEDULE_VACUUM: "off",
      SCHEDULE_PARTITIONS: "off",
      SCHEDULE_PRUNE_LOGS: "off",
      SCHEDULE_BACKUP_FULL: "off",
      SCHEDULE_BACKUP_DIFF: "off",
      SCHEDULE_BACKUP_INCR: "off",
      SCHEDULE_ARCHIVE_CHECK: "off",
      BACKUP_DIR: backupDir,
      LOG_LEVEL: "info",
    },
  });
}

async function metricsOf(p: AppProcess): Promise<string> {
  return (await fetch(new URL("/metrics", p.readyUrl))).text();
}

function succeededReconciles(text: string): number {
  const line = /^accounts_maintenance_runs_total\{task="reconcile",status="succeeded"[^}]*\} (\d+)$/m.exec(
    text,
  );
  return Number(line?.[1] ?? 0);
}

describe("two scheduler processes", () => {
  it("run each tick once between them, and serve metrics and health", {
    timeout: scaledTimeout(60_000),
  }, async () => {
    const namespace = uniquePrefix("sched-proc").toLowerCase().slice(0, 32);
    const processes = [await launchScheduler(namespace), await launchScheduler(namespace)];
    try {
      await Promise.all(processes.map((p) => p.start()));
      await waitFor(
        async () => {
          const { rows } = await countRuns();
          return rows >= 6;
        },
        { timeoutMs: scaledTimeout(20_000), message: "six reconcile ticks" },
      );
      const health = await fetch(new URL("/health", processes[0]?.readyUrl));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "healthy" });
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
    const codes = await Promise.all(processes.map(async (p) => (await p.exited()).code));
    expect(codes, processes.map((p) => p.output()).join("\n")).toEqual([0, 0]);

    const { rows, ticks } = await countRuns();
    expect(ticks).toBe(rows);
    const stillRunning = await db
      .selectFrom("maintenance_runs")
      .select("id")
      .where("status", "=", "running")
      .execute();
    expect(stillRunning).toEqual([]);
    const logged = processes.map((p) => (p.output().match(/"msg":"maintenance run finished"/g) ?? []).length);
    expect(logged.reduce((sum, n) => sum + n, 0)).toBe(rows);
  });

  it("exposes the maintenance metrics on /metrics", { timeout: scaledTimeout(60_000) }, async () => {
    const namespace = uniquePrefix("sched-metrics").toLowerCase().slice(0, 32);
    const p = await launchScheduler(namespace);
    try {
      await p.start();
      await waitFor(async () => succeededReconciles(await metricsOf(p)) >= 1, {
        timeoutMs: scaledTimeout(30_000),
        message: `a reconcile counted:\n${p.output()}`,
      });
      const text = await metricsOf(p);
      for (const name of [
        "accounts_maintenance_runs_total",
        "accounts_maintenance_duration_seconds_bucket",
        "accounts_maintenance_last_success_timestamp_seconds",
        "accounts_reconcile_mismatches",
        "accounts_reconcile_ok",
        "accounts_partitions_days_ahead",
        "process_cpu_seconds_total",
      ]) {
        expect(text, name).toContain(name);
      }
      expect(text).toMatch(/^accounts_reconcile_ok\{service="scheduler"\} 1$/m);
      expect(text).toContain("accounts_database_connections_max");
    } finally {
      await p.stop();
    }
  });
});

async function countRuns(): Promise<{ rows: number; ticks: number }> {
  const runs = await db
    .selectFrom("maintenance_runs")
    .select(["details"])
    .where("task", "=", "reconcile")
    .where("trigger", "=", "schedule")
    .where("status", "=", "succeeded")
    .execute();
  return { rows: runs.length, ticks: new Set(runs.map((r) => String(r.details.scheduledFor))).size };
}
