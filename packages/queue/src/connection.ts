import { type Logger, ThrottledLog } from "@accounts/runtime";
import { Cluster, Redis, type RedisOptions } from "ioredis";

export interface RedisConfig {
  /** `redis://[user:password@]host:port[/db]` of a single server, or of one seed node of a cluster. */
  url: string;
  /** Seed nodes (`host:port`) of a Redis Cluster. When given, a cluster client is made. */
  clusterNodes?: readonly string[];
}

/**
 * What the connection is for:
 * - `commands`: request paths (the API's accept path). Commands fail at once while disconnected
 *   (no offline queue) so the caller gets a 503 instead of a hanging request; auto-pipelining
 *   batches the commands issued in one tick into one write.
 * - `queue`: a BullMQ Queue (producer). Fails fast like `commands`.
 * - `consumer`: a BullMQ Worker. Blocking commands and reconnects must wait forever (BullMQ requires
 *   `maxRetriesPerRequest: null`).
 * - `subscriber`: a Pub/Sub subscription (the API's long polls). Waits forever like `consumer`: a
 *   subscription is one long-lived command, resubscribed on every reconnect.
 */
export type ConnectionRole = "commands" | "queue" | "consumer" | "subscriber";

export type RedisClient = Redis | Cluster;

function nodeOptions(role: ConnectionRole): RedisOptions {
  const waitForever = role === "consumer" || role === "subscriber";
  return {
    maxRetriesPerRequest: waitForever ? null : 1,
    enableOfflineQueue: waitForever,
    enableReadyCheck: true,
    connectTimeout: 5000,
    // Reconnect forever with a capped backoff: an outage of Redis ends when Redis is back.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  };
}

/** One throttle per process logger: every connection of a process shares its windows. */
const connectionErrors = new WeakMap<Logger, ThrottledLog>();

/** How often a connection error of one kind is logged while it repeats (ioredis retries every 2 s). */
const CONNECTION_ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Logs the connection's errors through `log` (JSON, like every other line), at most once per
 * 30 s per kind of error for the whole process, with the count of repeats. Without a listener,
 * ioredis writes `[ioredis] Unhandled error event: ...` as plain text on every reconnect attempt.
 */
function logErrors(client: RedisClient, role: ConnectionRole, log: Logger): void {
  let throttled = connectionErrors.get(log);
  if (!throttled) {
    throttled = new ThrottledLog(log, { intervalMs: CONNECTION_ERROR_LOG_INTERVAL_MS });
    connectionErrors.set(log, throttled);
  }
  const errors = throttled;
  client.on("error", (error: Error & { code?: string }) => {
    errors.warn(
      `redis-connection:${error.code ?? error.message}`,
      { err: error, connection: role },
      "Redis connection error: commands fail or wait until it reconnects (it retries on its own)",
    );
  });
}

/**
 * The one Redis connection factory: a plain client, or an ioredis Cluster when `clusterNodes` is set.
 * Its errors are logged through `log`, rate limited.
 *
 * @example
 * const redis = createRedis({ url: "redis://127.0.0.1:6379" }, "commands", log);
 * const cluster = createRedis({ url: "", clusterNodes: ["10.0.0.1:6379", "10.0.0.2:6379"] }, "consumer", log);
 */
export function createRedis(config: RedisConfig, role: ConnectionRole, log: Logger): RedisClient {
  const client = connect(config, role);
  logErrors(client, role, log);
  return client;
}

function connect(config: RedisConfig, role: ConnectionRole): RedisClient {
  const options = nodeOptions(role);
  const autoPipelining = role === "commands";
  if (config.clusterNodes && config.clusterNodes.length > 0) {
    const url = config.url ? new URL(config.url) : undefined;
    return new Cluster(
      config.clusterNodes.map((node) => {
        const [host = "127.0.0.1", port = "6379"] = node.split(":");
        return { host, port: Number(port) };
      }),
      {
        redisOptions: {
          ...options,
          ...(url?.password ? { password: decodeURIComponent(url.password) } : {}),
          ...(url?.username ? { username: decodeURIComponent(url.username) } : {}),
        },
        enableOfflineQueue: options.enableOfflineQueue ?? true,
        // No cluster ready check (CLUSTER INFO must say ok) for connections that wait forever: when it
        // fails, as it does while a master is down past the node timeout, ioredis (5.x) reconnects but never settles
        // the promise of the connect() that ran it; BullMQ's blocking client awaits exactly that
        // promise when it re-arms its read, and the partition stops for good (tests/cluster). Without
        // the check the client is ready once it knows the slots, and commands on a down cluster are
        // retried (retryDelayOnClusterDown) or fail, which BullMQ handles. Request paths keep the check:
        // they must fail fast with a 503 while the cluster is down.
        enableReadyCheck: !options.enableOfflineQueue,
        enableAutoPipelining: autoPipelining,
        maxRedirections: 16,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
        slotsRefreshTimeout: 2000,
        // ioredis refreshes its slot map on a MOVED reply, except one inside an auto-pipeline whose
        // commands got different MOVED replies (a poll reads two keys of two slots at once): that
        // error reaches the caller and the map stays stale. After masters were killed and
        // restarted, polls answered 500 for good (tests/cluster). A periodic refresh ends that.
        slotsRefreshInterval: 5000,
      },
    );
  }
  return new Redis(config.url, { ...options, enableAutoPipelining: autoPipelining });
}

/** Messages of ioredis (single server and cluster) when a command cannot reach Redis. */
const UNAVAILABLE_MESSAGES = [
  "Connection is closed",
  "enableOfflineQueue options is false",
  "Cluster isn't ready",
  "Reached the max retries per request limit",
  "Too many Cluster redirections",
  "CLUSTERDOWN",
  "LOADING",
];

/** Replies of a cluster moving a slot (a master restarted, a failover): the retry finds it. */
const MOVING_SLOT = /^(MOVED|ASK|TRYAGAIN) /;

/**
 * True when a Redis command failed because Redis (or the cluster) is unreachable, restarting,
 * loading its data or moving slots: an outage, which a request answers with 503 and the caller
 * retries.
 *
 * @example
 * isRedisUnavailableError(new Error("Stream isn't writeable and enableOfflineQueue options is false")) // true
 */
export function isRedisUnavailableError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ETIMEDOUT" || code === "EPIPE")
    return true;
  const message = error instanceof Error ? error.message : String(error);
  return MOVING_SLOT.test(message) || UNAVAILABLE_MESSAGES.some((text) => message.includes(text));
}

/**
 * True when ioredis refused a command before sending it (the connection was not ready and these
 * connections queue nothing offline): Redis certainly did not execute it. Any other failure (a
 * connection cut, a timeout) may come after Redis executed the command.
 *
 * @example
 * isRedisCommandUnsent(new Error("Stream isn't writeable and enableOfflineQueue options is false")) // true
 * isRedisCommandUnsent(new Error("Connection is closed.")) // false: it may have run
 */
export function isRedisCommandUnsent(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return message.includes("enableOfflineQueue options is false");
}
