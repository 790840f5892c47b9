import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allPartitionQueues, partitionOfUser } from "@accounts/queue";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { HttpApi, type JsonObject } from "../e2e/support/httpApi.ts";
import { type LocalRedisCluster, startRedisCluster } from "./redisCluster.ts";

// The apps on a Redis Cluster of three masters (REDIS_CLUSTER_NODES): the partition queues spread
// over the masters by their hash tags, operations of every partition are applied, and after one
// master is killed (SIGKILL) and restarted from its AOF, nothing acknowledged is lost and the flow
// goes on.

const PARTITIONS = 16;
const ARTEFACTS = join(import.meta.dirname, "..", "..", "results", "cluster");
let dir: string;
let cluster: LocalRedisCluster;
let stack: AppStack;
let api: HttpApi;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "accounts-cluster-"));
  cluster = await startRedisCluster(dir, 3);
  stack = await startAppStack({
    workers: 2,
    redisUrl: `redis://${cluster.seeds[0]}`,
    env: {
      REDIS_CLUSTER_NODES: cluster.seeds.join(","),
      PARTITIONS: String(PARTITIONS),
      // A fetch whose reply died with a master leaves its job active under a lock nobody renews:
      // the partition resumes once the stalled check takes it over (about 1.5 locks).
      PARTITION_LOCK_MS: "5000",
    },
  });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
}, scaledTimeout(90_000));
// A failed test keeps the apps' log (results/cluster/, git-ignored; CI keeps it as an artefact): the
// harness folder it was written to is removed at the end of the run.
afterEach((context) => {
  if (context.task.result?.state !== "fail" || !stack) return;
  const kept = join(ARTEFACTS, `${context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.log`);
  mkdirSync(ARTEFACTS, { recursive: true });
  copyFileSync(stack.logFile, kept);
  console.error(`the apps' log of the failed test: ${kept}`);
});
afterAll(async () => {
  await stack?.stop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One user id per partition, so that a round of credits touches every partition queue. */
function usersOfEveryPartition(prefix: string): string[] {
  const users: string[] = new Array(PARTITIONS);
  let found = 0;
  for (let i = 0; found < PARTITIONS; i++) {
    const userId = `${prefix}-${i}`;
    const partition = partitionOfUser(userId, PARTITIONS);
    if (users[partition] === undefined) {
      users[partition] = userId;
      found += 1;
    }
  }
  return users;
}

const credit = (userId: string, amount: string): JsonObject => ({
  type: "credit",
  account: { userId, currency: "USD" },
  amount,
});

/**
 * Submits with an Idempotency-Key until acknowledged, as a caller does while the cluster recovers
 * (a 503 or a dropped connection is retried with the same key; it is never applied twice).
 */
async function acknowledged(operation: JsonObject, key: string): Promise<string> {
  const reply = await waitFor(
    async () => {
      const answer = await api.submit(operation, key);
      return answer.status === 202 || answer.status === 200 ? answer : undefined;
    },
    { timeoutMs: scaledTimeout(30_000), intervalMs: 200, message: `operation ${key} acknowledged` },
  );
  return reply.body.id as string;
}

it("spreads the partition queues over the masters and applies operations of every partition", async () => {
  const catalog = { namespace: stack.namespace, partitions: PARTITIONS };
  const placements = await Promise.all(
    allPartitionQueues(catalog).map(async (ref) => ({
      queue: ref.name,
      ...(await cluster.placement(ref.prefix)),
    })),
  );
  const byNode = new Map<string, string[]>();
  for (const p of placements)
    byNode.set(p.node, [...(byNode.get(p.node) ?? []), `${p.queue} (slot ${p.slot})`]);
  console.log(
    `partition queues by master:\n${[...byNode].map(([node, queues]) => `  ${node}: ${queues.join(", ")}`).join("\n")}`,
  );
  expect([...byNode.keys()].sort()).toEqual([...cluster.seeds].sort());

  const users = usersOfEveryPartition("cl-a");
  const ids = await Promise.all(users.map((userId) => acknowledged(credit(userId, "10"), `a-${userId}`)));
  const transfer = await acknowledged(
    {
      type: "transfer",
      postings: [
        {
          from: { userId: users[0] as string, bucket: "available" },
          to: { userId: users[PARTITIONS - 1] as string, bucket: "available" },
          currency: "USD",
          amount: "2.5",
        },
      ],
    },
    "a-transfer",
  );
  for (const id of [...ids, transfer]) expect((await api.final(id)).status).toBe("applied");
  expect((await api.balance(users[PARTITIONS - 1] as string, "USD")).total).toBe("12.50");
});

/** Kills one master with SIGKILL and starts it again on its port and folder (AOF, nodes.conf). */
async function crashMaster(index: number): Promise<void> {
  const victim = cluster.nodes[index];
  if (!victim) throw new Error(`no node ${index}`);
  await victim.kill("SIGKILL");
  await victim.restart();
  await cluster.waitUntilOk();
}

const workers = () => stack.processes.filter((p) => p.app === "worker");

it("goes on after a master is killed and restarted under running workers", {
  timeout: scaledTimeout(90_000),
}, async () => {
  const users = usersOfEveryPartition("cl-b");
  const before = await Promise.all(users.map((userId) => acknowledged(credit(userId, "1"), `b1-${userId}`)));
  await crashMaster(1);
  // The API and both workers stayed up: their cluster connections must find the master again.
  const after = await Promise.all(users.map((userId) => acknowledged(credit(userId, "2"), `b2-${userId}`)));
  for (const id of [...before, ...after]) expect((await api.final(id, 30_000)).status).toBe("applied");
  for (const userId of users) {
    expect(await api.balance(userId, "USD")).toMatchObject({ total: "3.00", version: 2 });
  }
});

it("keeps the jobs queued on a killed master (AOF) and applies them once workers run", {
  timeout: scaledTimeout(90_000),
}, async () => {
  const users = usersOfEveryPartition("cl-c");
  await Promise.all(workers().map((worker) => worker.stop()));
  // Acknowledged while no worker runs: every one of them is a job waiting in the cluster.
  const queued = await Promise.all(users.map((userId) => acknowledged(credit(userId, "5"), `c-${userId}`)));
  await crashMaster(2);
  await crashMaster(0);
  await Promise.all(workers().map((worker) => worker.start()));
  for (const id of queued) expect((await api.final(id, 30_000)).status).toBe("applied");
  for (const userId of users) {
    expect(await api.balance(userId, "USD")).toMatchObject({ total: "5.00", version: 1 });
  }
});

it("recovers, API and workers, from an outage that took the whole cluster down", {
  timeout: scaledTimeout(90_000),
}, async () => {
  const victim = cluster.nodes[1];
  if (!victim) throw new Error("no second node");
  await victim.kill("SIGKILL");
  // Down past the node timeout: every node says cluster_state:fail and refuses commands, so the
  // workers' blocking reads fail and are re-armed while the cluster is down.
  await cluster.waitUntilFailing();
  // The API sets its queues up while the cluster cannot serve every slot: a set-up that failed then
  // must not leave it refusing every submission once the cluster is whole again.
  const apiProcess = stack.process("api");
  await apiProcess.kill();
  await apiProcess.start();
  await waitFor(async () => (await fetch(`${stack.apiUrl}/ready`)).status === 200, {
    timeoutMs: scaledTimeout(30_000),
    message: "the API ready again",
  });
  await victim.restart();
  await cluster.waitUntilOk();
  const users = usersOfEveryPartition("cl-d");
  const ids = await Promise.all(users.map((userId) => acknowledged(credit(userId, "7"), `d-${userId}`)));
  for (const id of ids) expect((await api.final(id, 30_000)).status).toBe("applied");
});
