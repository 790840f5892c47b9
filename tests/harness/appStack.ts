import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import {
  type AppProcess,
  type ClonedDatabase,
  cloneTemplate,
  freePort,
  launchApp,
  type ServerAppName,
} from "@accounts/devstack";
import { inject } from "vitest";
import "./provided-context.ts";
import { REPO_ROOT } from "./built-apps.ts";
import { uniquePrefix } from "./redis-keys.ts";
import { scaledTimeout } from "./timeouts.ts";

export type AppName = ServerAppName;

/**
 * One app process of a test stack: the built app (node dist/<app>/main.js, as in production),
 * launched by the devstack's launcher. `start()` resolves once it answers /ready.
 */
export type StackProcess = AppProcess;

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
  /**
   * The apps reach the database through this port on 127.0.0.1 (a TCP proxy, see tcpProxy.ts)
   * instead of the admin server's own; `databaseUrl` stays the direct one.
   */
  databaseProxyPort?: number;
  /** The API reads from a replica of the stack's database on this port of 127.0.0.1 (DATABASE_REPLICA_URLS). */
  replicaProxyPort?: number;
}

/**
 * Starts the real apps, built, as child processes (API, N workers, optionally the scheduler) against
 * a fresh database cloned from the harness template and a fresh queue namespace on the harness's
 * Redis, and waits until each answers /ready. Everything is torn down by `stop()` (or when the test process
 * exits). Tests then speak HTTP only.
 *
 * @example
 * const stack = await startAppStack({ workers: 2 });
 * await fetch(`${stack.apiUrl}/v1/currencies`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
 */
export async function startAppStack(options: AppStackOptions = {}): Promise<AppStack> {
  // inject() exists only inside vitest: runners outside it (faults, soak) pass every value, and
  // call buildAppsForTests() first.
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
    DATABASE_URL: options.databaseProxyPort
      ? throughPort(database.url, options.databaseProxyPort)
      : database.url,
    ...(options.replicaProxyPort
      ? { DATABASE_REPLICA_URLS: throughPort(database.url, options.replicaProxyPort) }
      : {}),
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
  const launch = (name: string, app: AppName, env: Record<string, string>) =>
    launchApp({
      app,
      name,
      mode: "built",
      cwd: REPO_ROOT,
      env: { ...common, ...env },
      readyTimeoutMs: scaledTimeout(30_000),
      onLine: (line) => {
        if (!log.writableEnded) log.write(`[${name}] ${line}\n`);
      },
    });
  const processes: StackProcess[] = [];
  processes.push(launch("api", "api", { PORT: String(apiPort), HOST: "127.0.0.1" }));
  for (let i = 0; i < (options.workers ?? 2); i++) {
    processes.push(launch(`worker-${i + 1}`, "worker", { WORKER_METRICS_PORT: String(await freePort()) }));
  }
  if (options.scheduler) {
    processes.push(launch("scheduler", "scheduler", { SCHEDULER_METRICS_PORT: String(await freePort()) }));
  }
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    log.end();
    await database.drop().catch(() => {});
  };
  try {
    await Promise.all(processes.map((p) => p.start()));
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

/** `url` with its host and port replaced by 127.0.0.1:`port`. */
function throughPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(port);
  return parsed.toString();
}
