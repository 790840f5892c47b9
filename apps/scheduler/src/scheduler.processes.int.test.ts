import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, createPool, type Db } from "@accounts/db";
import { freePort, killOnExit } from "@accounts/devstack";
import { harnessRedisUrl, uniquePrefix, useTestDatabase, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Two real scheduler processes (apps/scheduler/src/main.ts, as the deployment runs it) on one Redis
// and one database, ticking every second: each tick must run once, whichever process takes it.

const database = useTestDatabase();
const root = fileURLToPath(new URL("../../../", import.meta.url));
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

interface SchedulerProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function spawnScheduler(namespace: string): Promise<SchedulerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join("apps", "scheduler", "src", "main.ts")], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: database.url(),
      REDIS_URL: harnessRedisUrl(),
      QUEUE_NAMESPACE: namespace,
      PARTITIONS: "2",
      SCHEDULER_METRICS_PORT: String(port),
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
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, port, output: () => output, exited };
}

async function metricsOf(p: SchedulerProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
}

function succeededReconciles(text: string): number {
  const line = /^accounts_maintenance_runs_total\{task="reconcile",status="succeeded"[^}]*\} (\d+)$/m.exec(
    text,
  );
  return Number(line?.[1] ?? 0);
}

describe("two scheduler processes", () => {
  it("run each tick once between them, and serve metrics and health", { timeout: 60_000 }, async () => {
    const namespace = uniquePrefix("sched-proc").toLowerCase().slice(0, 32);
    const processes = [await spawnScheduler(namespace), await spawnScheduler(namespace)];
    try {
      for (const p of processes) {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${p.port}/ready`)).status === 200, {
          timeoutMs: 30_000,
          message: `scheduler ready:\n${p.output()}`,
        });
      }
      await waitFor(
        async () => {
          const { rows } = await countRuns();
          return rows >= 6;
        },
        { timeoutMs: 20_000, message: "six reconcile ticks" },
      );
      const health = await fetch(`http://127.0.0.1:${processes[0]?.port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "healthy" });
    } finally {
      for (const p of processes) p.child.kill("SIGTERM");
    }
    const codes = await Promise.all(processes.map((p) => p.exited));
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

  it("exposes the maintenance metrics on /metrics", async () => {
    const namespace = uniquePrefix("sched-metrics").toLowerCase().slice(0, 32);
    const p = await spawnScheduler(namespace);
    try {
      await waitFor(async () => succeededReconciles(await metricsOf(p)) >= 1, {
        timeoutMs: 30_000,
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
      p.child.kill("SIGTERM");
      await p.exited;
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
