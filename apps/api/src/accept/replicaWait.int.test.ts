import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyOperationBatch } from "@accounts/db";
import { type RedisServer, startRedis, waitForReplicaSync } from "@accounts/devstack";
import type { QueuedOperation } from "@accounts/domain";
import { type ApplyJob, allPartitionQueues, readPendingState } from "@accounts/queue";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useInProcessApi } from "../testing/inProcessApi.ts";

// ACCEPT_MIN_REPLICAS against a real Redis master with a real replica (`--replicaof`): a 202 only
// once the replica has the job (WAIT on the connection that stored it); a paused replica (SIGSTOP)
// gives 503 with Retry-After, and the caller's retry with the same Idempotency-Key answers the same
// operation id, stored once.

let dir: string;
let master: RedisServer;
let replica: RedisServer;
let onReplica: Redis;
const env: Record<string, string> = { ACCEPT_MIN_REPLICAS: "1", ACCEPT_REPLICA_TIMEOUT_MS: "300" };

// Registered before useInProcessApi's own beforeAll, which reads `env` when it runs.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "replica-wait-"));
  master = await startRedis({ dataDir: join(dir, "master"), quiet: true });
  replica = await startRedis({ dataDir: join(dir, "replica"), replicaOf: master.port, quiet: true });
  await waitForReplicaSync(master.port, 1);
  env.REDIS_URL = master.url;
  onReplica = new Redis(replica.url, { maxRetriesPerRequest: 1 });
}, 60_000);

const t = useInProcessApi({ writer: ["operations:write", "operations:read"] }, env);

afterAll(async () => {
  onReplica?.disconnect();
  await replica?.kill("SIGCONT").catch(() => {});
  await replica?.stop();
  await master?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const credit = (userId: string) => ({ type: "credit", account: { userId, currency: "USD" }, amount: "1" });

/** Ids of the operations waiting in the partition queues, as `redis` (master or replica) has them. */
async function waitingOperations(redis: Redis): Promise<QueuedOperation[]> {
  const operations: QueuedOperation[] = [];
  for (const ref of allPartitionQueues({ namespace: t().namespace, partitions: 4 })) {
    const queue = new Queue(ref.name, { connection: redis, prefix: ref.prefix });
    try {
      for (const job of await queue.getWaiting()) operations.push(...(job.data as ApplyJob).operations);
    } finally {
      await queue.close();
    }
  }
  return operations;
}

async function waitingIds(redis: Redis): Promise<string[]> {
  return (await waitingOperations(redis)).map((op) => op.id);
}

async function metric(name: string): Promise<number> {
  const text = await (await t().app.request("/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}

describe("ACCEPT_MIN_REPLICAS=1", () => {
  it("answers 202 only once the replica holds the job and the operation's record", async () => {
    const res = await t().call("writer", "POST", "/v1/operations", credit("rw-a"));
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    // No waiting: WAIT confirmed the replica received the MULTI before the 202 went out.
    const states = { redis: onReplica, namespace: t().namespace, ttlSeconds: 60 };
    expect(await readPendingState(states, id)).toMatchObject({ state: "accepted" });
    expect(await waitingIds(onReplica)).toContain(id);
    expect(await metric("accounts_accept_replica_wait_seconds_count")).toBeGreaterThanOrEqual(1);
  });

  it("reports the master's connected replicas in /health and /metrics", async () => {
    const health = (await (await t().app.request("/health")).json()) as {
      checks: Record<string, { status: string; details?: { masters: Record<string, number> } }>;
    };
    expect(health.checks.redisReplicas).toMatchObject({
      status: "healthy",
      details: { masters: { [`127.0.0.1:${master.port}`]: 1 } },
    });
    expect(await metric("accounts_redis_connected_replicas")).toBe(1);
  });

  it("is 503 with Retry-After while the replica is paused; the retry with the same key gets the same id, applied once", async () => {
    const before = await waitingIds(onReplica);
    const unconfirmedBefore = await metric("accounts_accept_replicas_unconfirmed_total");
    await replica.kill("SIGSTOP");
    let refused: Response;
    try {
      refused = await t().call("writer", "POST", "/v1/operations", credit("rw-b"), {
        "idempotency-key": "rw-b-1",
      });
    } finally {
      await replica.kill("SIGCONT");
    }
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await metric("accounts_accept_replicas_unconfirmed_total")).toBe(unconfirmedBefore + 1);

    // The job is on the master (it may have been stored: the claim was kept). Once the replica
    // caught up, the retry answers that operation, and queues nothing new.
    await waitForReplicaSync(master.port, 1);
    const retry = await t().call("writer", "POST", "/v1/operations", credit("rw-b"), {
      "idempotency-key": "rw-b-1",
    });
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const { id } = (await retry.json()) as { id: string };
    // The retry stored the same id again (its 202 waited for the replica too): one operation, applied
    // once whatever the number of jobs that carry it (the worker applies an id once).
    const added = (await waitingIds(onReplica)).filter((x) => !before.includes(x));
    expect(new Set(added)).toEqual(new Set([id]));
    expect(added.length).toBeGreaterThanOrEqual(1);
    // Applied as a worker would (every job carrying it, in one batch): one row, one credit.
    const { db, currencies } = t().api.services;
    const carried = (await waitingOperations(onReplica)).filter((op) => op.id === id);
    await applyOperationBatch(db, { partition: 0, operations: carried, scales: await currencies.all() });
    const rows = await db.selectFrom("operations").select("id").where("id", "=", id).execute();
    expect(rows).toHaveLength(1);
    const balance = await db
      .selectFrom("accounts")
      .select("available")
      .where("user_id", "=", "rw-b")
      .where("currency", "=", "USD")
      .executeTakeFirst();
    expect(balance?.available).toBe("1.00");
  });

  it("batch: 503 while the replica is paused, then the same ids for the same keys", async () => {
    const body = {
      operations: [0, 1, 2].map((i) => ({ ...credit(`rw-c${i}`), idempotencyKey: `rw-c-${i}` })),
    };
    await replica.kill("SIGSTOP");
    let refused: Response;
    try {
      refused = await t().call("writer", "POST", "/v1/operations/batch", body);
    } finally {
      await replica.kill("SIGCONT");
    }
    expect(refused.status).toBe(503);
    await waitForReplicaSync(master.port, 1);
    const retry = await t().call("writer", "POST", "/v1/operations/batch", body);
    expect(retry.status).toBe(202);
    const { results } = (await retry.json()) as { results: { id: string; replayed: boolean }[] };
    expect(results.map((r) => r.replayed)).toEqual([true, true, true]);
    const onMaster = new Redis(master.url, { maxRetriesPerRequest: 1 });
    try {
      const ids = await waitingIds(onMaster);
      for (const r of results) expect(ids.filter((x) => x === r.id).length).toBeGreaterThanOrEqual(1);
    } finally {
      onMaster.disconnect();
    }
  });
});
