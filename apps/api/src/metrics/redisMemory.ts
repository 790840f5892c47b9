import type { RedisClient } from "@accounts/queue";
import { Cluster, type Redis } from "ioredis";

export interface RedisNodeMemory {
  /** `host:port` of the node (every master of a cluster). */
  node: string;
  up: boolean;
  usedBytes: number;
  /** 0 when no maxmemory is set (then the node can never refuse for memory, nor protect itself). */
  maxBytes: number;
  /** `maxmemory_policy`; anything but `noeviction` may silently drop queued jobs. */
  policy: string;
  /** `connected_slaves` of INFO replication: replicas streaming from this master (0 when down). */
  connectedReplicas: number;
}

function nodeName(node: Redis): string {
  return `${node.options.host ?? "127.0.0.1"}:${node.options.port ?? 6379}`;
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

/**
 * Memory use, maxmemory, eviction policy and connected replicas of the queue Redis (every master of
 * a cluster), read with `INFO memory replication` at scrape time. docs/architecture.md requires `noeviction`: with any other policy a full
 * Redis deletes keys, and the keys it deletes may be accepted operations.
 *
 * @example
 * const nodes = await sampleRedisMemory(commands, 2000);
 * // [{ node: "10.0.0.5:6379", up: true, usedBytes: 1.2e9, maxBytes: 8e9, policy: "noeviction", connectedReplicas: 1 }]
 */
export async function sampleRedisMemory(redis: RedisClient, timeoutMs = 2000): Promise<RedisNodeMemory[]> {
  const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
  return Promise.all(
    nodes.map(async (node): Promise<RedisNodeMemory> => {
      const name = nodeName(node);
      let timer: NodeJS.Timeout | undefined;
      try {
        const info = await Promise.race([
          node.call("INFO", "memory", "replication") as Promise<string>,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("INFO memory timed out")), timeoutMs);
          }),
        ]);
        return {
          node: name,
          up: true,
          usedBytes: Number(field(info, "used_memory") ?? 0),
          maxBytes: Number(field(info, "maxmemory") ?? 0),
          policy: field(info, "maxmemory_policy") ?? "unknown",
          connectedReplicas: Number(field(info, "connected_slaves") ?? 0),
        };
      } catch {
        return { node: name, up: false, usedBytes: 0, maxBytes: 0, policy: "unknown", connectedReplicas: 0 };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/**
 * The `/health` check of the queue Redis's replicas: each master's connected replicas in `details`;
 * `degraded` when a master has fewer than `minReplicas` (ACCEPT_MIN_REPLICAS; submissions routed to
 * it get 503) or cannot be asked.
 *
 * @example
 * await replicaHealth(commands, 1)() // { status: "healthy", details: { masters: { "10.0.0.5:6379": 1 } } }
 */
export function replicaHealth(
  redis: RedisClient,
  minReplicas: number,
): () => Promise<{ status: "healthy" | "degraded"; details: Record<string, unknown>; error?: string }> {
  return async () => {
    const nodes = await sampleRedisMemory(redis);
    const masters = Object.fromEntries(nodes.map((n) => [n.node, n.up ? n.connectedReplicas : null]));
    const short = nodes.filter((n) => !n.up || n.connectedReplicas < minReplicas).map((n) => n.node);
    return short.length === 0
      ? { status: "healthy", details: { minReplicas, masters } }
      : {
          status: "degraded",
          details: { minReplicas, masters },
          error: `fewer than ${minReplicas} connected replicas (or no answer): ${short.join(", ")}`,
        };
  };
}
