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
 * - `worker`: a BullMQ Worker or a subscriber. Blocking commands and reconnects must wait forever
 *   (BullMQ requires `maxRetriesPerRequest: null`).
 */
export type ConnectionRole = "commands" | "queue" | "worker";

export type RedisClient = Redis | Cluster;

function nodeOptions(role: ConnectionRole): RedisOptions {
  const waitForever = role === "worker";
  return {
    maxRetriesPerRequest: waitForever ? null : 1,
    enableOfflineQueue: waitForever,
    enableReadyCheck: true,
    connectTimeout: 5000,
    // Reconnect forever with a capped backoff: an outage of Redis ends when Redis is back.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  };
}

/**
 * The one Redis connection factory: a plain client, or an ioredis Cluster when `clusterNodes` is set.
 *
 * @example
 * const redis = createRedis({ url: "redis://127.0.0.1:6379" }, "commands");
 * const cluster = createRedis({ url: "", clusterNodes: ["10.0.0.1:6379", "10.0.0.2:6379"] }, "worker");
 */
export function createRedis(config: RedisConfig, role: ConnectionRole): RedisClient {
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
        enableAutoPipelining: autoPipelining,
        maxRedirections: 16,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
        slotsRefreshTimeout: 2000,
      },
    );
  }
  return new Redis(config.url, { ...options, enableAutoPipelining: autoPipelining });
}
