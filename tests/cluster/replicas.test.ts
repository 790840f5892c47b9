import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForReplicaSync } from "@accounts/devstack";
import { newQueuedOperation } from "@accounts/domain";
import {
  createRedis,
  JOB_OPTIONS,
  partitionQueue,
  type RedisClient,
  ReplicasUnconfirmedError,
  storeApplyJob,
  waitForReplicas,
} from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { scaledTimeout, uniquePrefix, waitFor } from "@accounts/tests/harness";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LocalRedisCluster, startRedisCluster } from "./redisCluster.ts";

// WAIT on a Redis Cluster of three masters with a replica each: it must run on the cluster
// client's connection to the master that owns the partition's slot (the one that stored the job).
// Pausing one master's replica makes exactly the partitions of that master unconfirmed.

const PARTITIONS = 16;
const log = createLogger({ service: "test", level: "silent" });
let dir: string;
let cluster: LocalRedisCluster;
let connection: RedisClient;
let queues: Queue[];
const catalog = { namespace: uniquePrefix("replicas").toLowerCase().slice(0, 32), partitions: PARTITIONS };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "accounts-cluster-replicas-"));
  cluster = await startRedisCluster(dir, 3, 1);
  await waitFor(async () => (await cluster.replicaOf()).size === 3, { message: "a replica for each master" });
  for (const master of (await cluster.replicaOf()).keys())
    await waitForReplicaSync(Number(master.split(":")[1]), 1);
  connection = createRedis({ url: "", clusterNodes: cluster.seeds }, "queue", log);
  await waitFor(() => connection.status === "ready", { message: "cluster client ready" });
  queues = Array.from({ length: PARTITIONS }, (_, p) => {
    const ref = partitionQueue(catalog, p);
    return new Queue(ref.name, { connection, prefix: ref.prefix, defaultJobOptions: JOB_OPTIONS.partition });
  });
}, scaledTimeout(90_000));

afterAll(async () => {
  await Promise.allSettled((queues ?? []).map((queue) => queue.close()));
  connection?.disconnect();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const states = () => ({ redis: connection, namespace: catalog.namespace, ttlSeconds: 600 });

/** Stores one job on `partition` and waits for one replica of its master. */
async function storeConfirmed(partition: number, timeoutMs: number): Promise<"confirmed" | "unconfirmed"> {
  const queue = queues[partition] as Queue;
  await storeApplyJob(
    queue,
    partition,
    [newQueuedOperation(credit(partition), "cl_test", "h", partition)],
    states(),
  );
  try {
    await waitForReplicas(connection, queue.toKey("wait"), { minReplicas: 1, timeoutMs });
    return "confirmed";
  } catch (error) {
    if (error instanceof ReplicasUnconfirmedError) return "unconfirmed";
    throw error;
  }
}

function credit(partition: number) {
  return {
    type: "credit" as const,
    account: { userId: `replica-${partition}`, currency: "USD" },
    amount: "1",
  };
}

it("confirms every partition's job on the replica of its own master, which holds it", async () => {
  const replicas = await cluster.replicaOf();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    expect(await storeConfirmed(partition, 2_000)).toBe("confirmed");
    const waitKey = (queues[partition] as Queue).toKey("wait");
    const { node } = await cluster.placement(waitKey);
    const replica = replicas.get(node);
    if (!replica) throw new Error(`no replica of ${node}`);
    const reader = new Redis(replica.url, { maxRetriesPerRequest: 1 });
    try {
      await reader.call("READONLY");
      expect(await reader.llen(waitKey)).toBeGreaterThanOrEqual(1);
    } finally {
      reader.disconnect();
    }
  }
});

it("leaves unconfirmed exactly the partitions whose master's replica is paused", async () => {
  const replicas = await cluster.replicaOf();
  const first = [...replicas][0];
  if (!first) throw new Error("no replica");
  const [pausedMaster, pausedReplica] = first;
  const owners = await Promise.all(
    queues.map(async (queue) => (await cluster.placement(queue.toKey("wait"))).node),
  );
  await pausedReplica.kill("SIGSTOP");
  let results: ("confirmed" | "unconfirmed")[];
  try {
    results = await Promise.all(queues.map((_, partition) => storeConfirmed(partition, 200)));
  } finally {
    await pausedReplica.kill("SIGCONT");
  }
  const expected = owners.map((owner) => (owner === pausedMaster ? "unconfirmed" : "confirmed"));
  expect(expected).toContain("unconfirmed");
  expect(expected).toContain("confirmed");
  expect(results).toEqual(expected);
});
