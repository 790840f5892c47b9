import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { findRedisBinaries, type RedisBinaries } from "./binaries.ts";
import { choosePort } from "./ports.ts";
import {
  ENDS_PROCESS,
  livePidFromFile,
  type ServerProcess,
  spawnServer,
  waitUntilReady,
} from "./server-process.ts";

export type AppendFsync = "always" | "everysec" | "no";

export interface RedisOptions {
  /** Folder of the append-only file (and the pid file). */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one when omitted. 6379 is refused. */
  port?: number;
  /** AOF fsync policy. Default `everysec`; `always` for tests that kill -9 and count on every write. */
  appendfsync?: AppendFsync;
  /** Default `1gb`. Writes fail (noeviction) rather than lose data once it is reached. */
  maxmemory?: string;
  /** Where the server's output is appended. Default: `<dataDir>/redis.log`. */
  logFile?: string;
  /**
   * Starts it as a replica of the Redis on this port of 127.0.0.1 (`--replicaof`). It answers PING
   * at once; {@link waitForReplicaSync} waits until it holds the master's data.
   */
  replicaOf?: number;
  /** More command-line arguments, e.g. `["--loglevel", "warning"]`. */
  extraArgs?: string[];
  /** No progress lines on stderr. */
  quiet?: boolean;
  /** Programs to use; found with findRedisBinaries() when omitted. */
  binaries?: RedisBinaries;
  /** How long to wait for the first PONG (a big AOF takes a while to load). Default 30 s. */
  startTimeoutMs?: number;
}

/** A Redis server running as a child of this process. */
export interface RedisServer {
  readonly port: number;
  /** e.g. `redis://127.0.0.1:41874` */
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Pid of the running server (changes on restart). */
  readonly pid: number;
  /** SIGTERM (Redis flushes the AOF and exits); resolves once it exited. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL); resolves once it exited, at once for SIGSTOP/SIGCONT and the like. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and folder (stopping it first if it runs); waits for PONG. */
  restart(): Promise<void>;
}

const STOP_TIMEOUT_MS = 30_000;

/**
 * Starts `redis-server` as a child bound to 127.0.0.1 with the settings the queue relies on:
 * append-only file on, `maxmemory-policy noeviction`, no RDB snapshots. Waits for PING.
 *
 * @example
 * const redis = await startRedis({ dataDir: "/tmp/redis", appendfsync: "always" });
 * redis.url; // "redis://127.0.0.1:41874"
 * await redis.kill("SIGKILL"); await redis.restart(); // data written before the kill is back
 * await redis.stop();
 */
export async function startRedis(options: RedisOptions): Promise<RedisServer> {
  const binaries = options.binaries ?? findRedisBinaries();
  const dataDir = resolve(options.dataDir);
  const logFile = resolve(options.logFile ?? join(dataDir, "redis.log"));
  const port = await choosePort(options.port, "Redis");
  const pidFile = join(dataDir, "redis.pid");
  mkdirSync(dataDir, { recursive: true });
  // Redis does not lock its folder: two servers on one AOF would corrupt it, so look first.
  const running = livePidFromFile(pidFile, "redis-server");
  if (running !== undefined) {
    throw new Error(
      `Redis (pid ${running}) is already running on ${dataDir}, probably left behind by an earlier run ` +
        `that was killed. Stop it with: kill ${running}`,
    );
  }

  const args = [
    ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dataDir, "--daemonize", "no"],
    ...["--pidfile", pidFile, "--appendonly", "yes", "--appendfsync", options.appendfsync ?? "everysec"],
    ...["--maxmemory-policy", "noeviction", "--maxmemory", options.maxmemory ?? "1gb", "--save", ""],
    ...(options.replicaOf === undefined ? [] : ["--replicaof", "127.0.0.1", String(options.replicaOf)]),
    ...(options.extraArgs ?? []),
  ];
  const url = `redis://127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const launch = async (): Promise<ServerProcess> => {
    const server = spawnServer({ command: binaries.redisServer, args, cwd: dataDir, logFile });
    await waitUntilReady(server, () => answersPing(port), { what: "Redis", logFile, timeoutMs });
    if (!options.quiet) console.error(`[devstack] Redis ready on ${url} (pid ${server.pid}, log ${logFile})`);
    return server;
  };
  let server = await launch();

  return {
    port,
    url,
    dataDir,
    logFile,
    get pid() {
      return server.pid;
    },
    stop: async () => {
      await server.stop("SIGTERM", STOP_TIMEOUT_MS);
    },
    kill: async (signal = "SIGKILL") => {
      server.signalGroup(signal);
      if (ENDS_PROCESS.has(signal)) await server.exited;
    },
    restart: async () => {
      await server.stop("SIGTERM", STOP_TIMEOUT_MS);
      server = await launch();
    },
  };
}

/** True once PING answers PONG; false while refused or still loading the AOF (-LOADING). */
async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Resolves once the master on `masterPort` reports `replicas` replicas online (INFO replication),
 * i.e. their initial synchronisation is done and they stream its writes; rejects after `timeoutMs`.
 *
 * @example
 * const master = await startRedis({ dataDir: "/tmp/m" });
 * const replica = await startRedis({ dataDir: "/tmp/r", replicaOf: master.port });
 * await waitForReplicaSync(master.port, 1);
 */
export async function waitForReplicaSync(
  masterPort: number,
  replicas = 1,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new Redis({
    host: "127.0.0.1",
    port: masterPort,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    for (;;) {
      const info = await client.info("replication");
      const online = info.split("\n").filter((line) => /^slave\d+:.*state=online/.test(line)).length;
      if (online >= replicas) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Redis on port ${masterPort} has ${online} of ${replicas} replicas online after ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.disconnect();
  }
}
