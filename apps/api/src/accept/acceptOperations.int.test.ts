import { createDb, createPool, type Db } from "@accounts/db";
import type { OperationRequest } from "@accounts/domain";
import { createRedis, type QueuedOperation, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AcceptDeps, acceptOperations, type SubmitResult } from "./acceptOperations.ts";
import { Coalescer } from "./coalescer.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// What an idempotency claim becomes when storing the job fails. Found by tests/cluster: a store that
// failed after reaching Redis freed the key, and the caller's retry with the same key applied the
// operation a second time under a new id. Real Redis and PostgreSQL; the store is scripted.

const database = useTestDatabase();
let db: Db;
let redis: RedisClient;

beforeAll(async () => {
  db = createDb(createPool(database.url(), { max: 2 }));
  redis = createRedis({ url: harnessRedisUrl() }, "commands", quietLog);
  // This connection refuses commands until it is ready (no offline queue).
  await waitFor(() => redis.status === "ready", { message: "Redis connected" });
});
afterAll(async () => {
  redis?.disconnect();
  await db?.destroy();
});

const request: OperationRequest = {
  type: "credit",
  account: { userId: "ao-1", currency: "USD" },
  amount: "1",
};

/** Accept deps whose job store runs `store`; every stored operation is remembered. */
function depsWith(store: (ops: QueuedOperation[]) => Promise<void>, client: RedisClient = redis) {
  const stored: QueuedOperation[] = [];
  const deps: AcceptDeps = {
    db,
    states: { redis: client, namespace: uniquePrefix("accept"), ttlSeconds: 60 },
    coalescer: new Coalescer<QueuedOperation>({
      maxWaitMs: 0,
      maxItems: 10,
      store: async (_, ops) => {
        await store(ops);
        stored.push(...ops);
      },
    }),
    partitions: 4,
    log: createLogger({ service: "test", level: "silent" }),
  };
  return { deps, stored };
}

const submit = async (deps: AcceptDeps, key: string): Promise<SubmitResult> =>
  (await acceptOperations(deps, "cl_test", [{ request, idempotencyKey: key }]))[0] as SubmitResult;

describe("a failed job store", () => {
  it("keeps the key when the job may have reached Redis: the retry queues the same id", async () => {
    let calls = 0;
    const tried: string[] = [];
    const { deps } = depsWith(async (ops) => {
      tried.push(...ops.map((op) => op.id));
      calls += 1;
      // Redis executed the command, then the connection went before the reply came back.
      if (calls === 1) throw new Error("Connection is closed.");
    });
    expect(await submit(deps, "k-cut")).toMatchObject({ kind: "unavailable" });
    const retry = await submit(deps, "k-cut");
    expect(retry).toMatchObject({ kind: "accepted", replayed: true, id: tried[0] });
    expect(new Set(tried).size).toBe(1);
  });

  it("frees the key when the job never left the API (the connection was not ready)", async () => {
    let calls = 0;
    const tried: string[] = [];
    const { deps } = depsWith(async (ops) => {
      tried.push(...ops.map((op) => op.id));
      calls += 1;
      if (calls === 1) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
    });
    expect(await submit(deps, "k-unsent")).toMatchObject({ kind: "unavailable" });
    // Freed in the background: a retry made afterwards is a new operation (nothing was stored).
    const retry = await waitFor(async () => {
      const result = await submit(deps, "k-unsent");
      return result.kind === "accepted" && !result.replayed ? result : undefined;
    });
    expect(retry.id).not.toBe(tried[0]);
  });

  it("answers accepted when the job is stored but its accepted record cannot be written", async () => {
    const failingRecords = new Proxy(redis, {
      get: (target, property, receiver) =>
        property === "hset"
          ? () => Promise.reject(new Error("Connection is closed."))
          : Reflect.get(target, property, receiver),
    });
    const { deps, stored } = depsWith(async () => {}, failingRecords);
    const result = await submit(deps, "k-record");
    expect(result).toMatchObject({ kind: "accepted", replayed: false });
    expect(stored.map((op) => op.id)).toEqual([(result as { id: string }).id]);
  });
});
