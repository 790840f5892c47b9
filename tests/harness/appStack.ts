import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ClonedDatabase, cloneTemplate, freePort, killOnExit, signalGroup } from "@accounts/devstack";
import { inject } from "vitest";
import "./provided-context.ts";
import { uniquePrefix } from "./redis-keys.ts";
import { waitFor } from "./wait-for.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export type AppName = "api" | "worker" | "scheduler";

/** One app process of a test stack. */
export interface StackProcess {
  readonly name: string;
  readonly app: AppName;
  /** The environment it runs with (ports, namespace...). */
  readonly env: Readonly<Record<string, string>>;
  pid(): number;
  /** SIGTERM and wait for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again with the same environment. */
  start(): Promise<void>;
  running(): boolean;
}

export interface AppStack {
  readonly apiUrl: string;
  /** A key with every scope (BOOTSTRAP_API_KEY). */
  readonly apiKey: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly namespace: string;
  readonly processes: readonly StackProcess[];
  readonly logFile: string;
  process(name: string): StackProcess;
  stop(): Promise<void>;
}

export interface AppStackOptions {
  /** Worker processes (default 2). */
  workers?: number;
  scheduler?: boolean;
  /** Extra environment for every app. */
  env?: Record<string, string>;
  /** Servers to use instead of the harness's (fault tests bring their own). */
  databaseAdminUrl?: string;
  redisUrl?: string;
  /**
   * The migrated database to clone on the admin server. Default: the harness's template, which exists
   * only on the harness's server, so a test that brings its own PostgreSQL names its own template.
   */
  templateDatabase?: string;
  /** Folder of the stack's log file (and its backups and log files). Default: the harness's folder. */
  logDir?: string;
}

/**
 * Starts the real apps as child processes (API, N workers, optionally the scheduler) against a fresh
 * database cloned from the harness template and a fresh queue namespace on the harness's Redis, and
 * waits until the API answers /ready. Everything is torn down by `stop()` (or when the test process
 * exits). Tests then speak HTTP only.
 *
 * @example
 * const stack = await startAppStack({ workers: 2 });
 * await fetch(`${stack.apiUrl}/v1/currencies`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
 */
export async function startAppStack(options: AppStackOptions = {}): Promise<AppStack> {
  // inject() exists only inside vitest: runners started with tsx (faults, soak) pass every value.
  const database: ClonedDatabase = await cloneTemplate(
    options.databaseAdminUrl ?? inject("adminDatabaseUrl"),
    options.templateDatabase ?? inject("templateDatabase"),
  );
  const namespace = uniquePrefix("e2e").toLowerCase().slice(0, 32);
  const apiPort = await freePort();
  const apiKey = `ak_${"0123456789abcdef"}_${randomBytes(32).toString("base64url")}`;
  const redisUrl = options.redisUrl ?? inject("redisUrl");
  const stackDir = options.logDir ?? inject("harnessDir");
  const logFile = join(stackDir, `${namespace}.log`);
  const log = createWriteStream(logFile, { flags: "a" });
  const common: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    QUEUE_NAMESPACE: namespace,
    LOG_LEVEL: "info",
    BOOTSTRAP_API_KEY: apiKey,
    SHUTDOWN_GRACE_SECONDS: "0",
    // Never write into the repository: backups and logs of a test stack stay in the harness folder.
    BACKUP_DIR: join(stackDir, namespace, "backups"),
    LOG_DIR: join(stackDir, namespace, "logs"),
    SCHEDULE_BACKUP: "off",
    SCHEDULE_BACKUP_FULL: "off",
    SCHEDULE_BACKUP_DIFF: "off",
    SCHEDULE_BACKUP_INCR: "off",
    SCHEDULE_ARCHIVE_CHECK: "off",
    ...options.env,
  };
  const processes: StackProcess[] = [];
  processes.push(makeProcess("api", "api", { ...common, PORT: String(apiPort), HOST: "127.0.0.1" }, log));
  for (let i = 0; i < (options.workers ?? 2); i++) {
    const port = await freePort();
    processes.push(
      makeProcess(`worker-${i + 1}`, "worker", { ...common, WORKER_METRICS_PORT: String(port) }, log),
    );
  }
  if (options.scheduler) {
    const port = await freePort();
    processes.push(
      makeProcess("scheduler", "scheduler", { ...common, SCHEDULER_METRICS_PORT: String(port) }, log),
    );
  }
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    log.end();
    await database.drop().catch(() => {});
  };
  try {
    for (const p of processes) await p.start();
    await waitFor(async () => (await fetch(`${apiUrl}/ready`)).status === 200, {
      timeoutMs: 30_000,
      message: `the API answering /ready (log: ${logFile})`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    apiUrl,
    apiKey,
    databaseUrl: database.url,
    redisUrl,
    namespace,
    processes,
    logFile,
    process: (name) => {
      const found = processes.find((p) => p.name === name);
      if (!found) throw new Error(`no process ${name}`);
      return found;
    },
    stop,
  };
}

function makeProcess(
  name: string,
  app: AppName,
  env: Record<string, string>,
  log: NodeJS.WritableStream,
): StackProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    name,
    app,
    env,
    pid: () => child?.pid ?? -1,
    running,
    async start() {
      if (running()) return;
      const started = spawn(process.execPath, ["--import", "tsx", join("apps", app, "src", "main.ts")], {
        cwd: ROOT,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = started;
      killOnExit(started);
      for (const stream of [started.stdout, started.stderr]) {
        stream?.on("data", (chunk: Buffer) => {
          for (const line of chunk.toString("utf8").split("\n")) if (line) log.write(`[${name}] ${line}\n`);
        });
      }
      exited = new Promise((resolveExit) => started.once("exit", () => resolveExit()));
    },
    async stop(timeoutMs = 15_000) {
      if (!running() || !child?.pid) return;
      const pid = child.pid;
      child.kill("SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!running() || !child?.pid) return;
      signalGroup(child.pid, "SIGKILL");
      await exited;
    },
  };
}
