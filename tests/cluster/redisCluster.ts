import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { findRedisBinaries, type RedisServer, startRedis } from "@accounts/devstack";
import { waitFor } from "@accounts/tests/harness";
import { Redis } from "ioredis";

const run = promisify(execFile);

/** A Redis Cluster (masters, optionally a replica each), each node a redis-server child with its own folder and AOF. */
export interface LocalRedisCluster {
  readonly nodes: readonly RedisServer[];
  /** `127.0.0.1:<port>` of every node, for `REDIS_CLUSTER_NODES`. */
  readonly seeds: readonly string[];
  /** The hash slot of `key` and the master (`host:port`) serving it now (CLUSTER KEYSLOT, CLUSTER SLOTS). */
  placement(key: string): Promise<{ slot: number; node: string }>;
  /** Until every node reports `cluster_state:ok` (all slots served). */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  /** The replica of each master: master `127.0.0.1:<port>` to the replica's server (none without replicas). */
  replicaOf(): Promise<Map<string, RedisServer>>;
  /** Until some running node reports `cluster_state:fail` (a master is known to be down). */
  waitUntilFailing(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `masters` Redis servers in cluster mode (AOF with `appendfsync always`, so a SIGKILLed
 * master comes back with every acknowledged write) and joins them with
 * `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`. Each node keeps its
 * `nodes.conf` in its folder, so a restart on the same port and folder rejoins as the same node
 * with the same slots.
 *
 * @example
 * const cluster = await startRedisCluster(dir, 3);
 * await startAppStack({ redisUrl: `redis://${cluster.seeds[0]}`, env: { REDIS_CLUSTER_NODES: cluster.seeds.join(",") } });
 */
export async function startRedisCluster(
  dir: string,
  masters = 3,
  replicasPerMaster = 0,
): Promise<LocalRedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < masters * (1 + replicasPerMaster); i++) {
      nodes.push(
        await startRedis({
          dataDir: join(dir, `node-${i}`),
          appendfsync: "always",
          quiet: true,
          extraArgs: [
            ...["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
            ...["--cluster-node-timeout", "2000"],
          ],
        }),
      );
    }
    const seeds = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run(findRedisBinaries().redisCli, [
      "--cluster",
      "create",
      ...seeds,
      "--cluster-replicas",
      String(replicasPerMaster),
      "--cluster-yes",
    ]);
    const cluster: LocalRedisCluster = {
      nodes,
      seeds,
      placement: (key) => placement(nodes, key),
      replicaOf: () => replicasOf(nodes),
      waitUntilOk: (timeoutMs = 30_000) =>
        waitFor(async () => (await Promise.all(nodes.map(clusterStateOk))).every(Boolean), {
          timeoutMs,
          intervalMs: 100,
          message: "every cluster node reporting cluster_state:ok",
        }).then(() => undefined),
      waitUntilFailing: (timeoutMs = 30_000) =>
        waitFor(async () => (await Promise.all(nodes.map(clusterStateFail))).some(Boolean), {
          timeoutMs,
          intervalMs: 100,
          message: "a cluster node reporting cluster_state:fail",
        }).then(() => undefined),
      stop,
    };
    await cluster.waitUntilOk();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

async function withNode<T>(node: RedisServer, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(node.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

async function clusterState(node: RedisServer): Promise<string | undefined> {
  try {
    const info = await withNode(node, (redis) => redis.call("CLUSTER", "INFO") as Promise<string>);
    return /cluster_state:(\w+)/.exec(info)?.[1];
  } catch {
    return undefined;
  }
}

const clusterStateOk = async (node: RedisServer) => (await clusterState(node)) === "ok";
const clusterStateFail = async (node: RedisServer) => (await clusterState(node)) === "fail";

async function placement(
  nodes: readonly RedisServer[],
  key: string,
): Promise<{ slot: number; node: string }> {
  const node = nodes[0];
  if (!node) throw new Error("no nodes");
  return withNode(node, async (redis) => {
    const slot = Number(await redis.call("CLUSTER", "KEYSLOT", key));
    const ranges = (await redis.call("CLUSTER", "SLOTS")) as [number, number, [string, number, string]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`slot ${slot} of ${key} is served by no node`);
    const [host, port] = range[2];
    return { slot, node: `${host}:${port}` };
  });
}

/** Each replica's master, from its INFO replication (`master_port`), once its link is up. */
async function replicasOf(nodes: readonly RedisServer[]): Promise<Map<string, RedisServer>> {
  const map = new Map<string, RedisServer>();
  for (const node of nodes) {
    const info = await withNode(node, (redis) => redis.info("replication"));
    const port = /master_port:(\d+)/.exec(info)?.[1];
    if (/role:slave/.test(info) && port) map.set(`127.0.0.1:${port}`, node);
  }
  return map;
}
