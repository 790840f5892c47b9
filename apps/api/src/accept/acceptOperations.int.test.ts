import { once } from "node:events";
import { createDb, createPool, type Db } from "@accounts/db";
import { newOperationId, type OperationRequest, type QueuedOperation } from "@accounts/domain";
import {
  type ApplyJob,
  createRedis,
  JOB_NAMES,
  markAccepted,
  partitionQueue,
  type RedisClient,
} from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase, waitFor } from "@accounts/tests/harness";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readOperation } from "../read/readOperation.ts";
import { type AcceptDeps, acceptOperations, type SubmitResult } from "./acceptOperations.ts";
import { Coalescer } from "./coalescer.ts";
import { QueueSink } from "./queueSink.ts";

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
});

describe("the job and its pending records", () => {
  // The fault: Redis refuses the pending records' write (an ACL user without access to their keys)
  // while it takes the job's, as a record write could fail after the job's own write went through
  // (a crash or a cut connection in between: seen in a crash test, where acknowledged operations
  // then answered 404 to polls). Real Redis, real BullMQ, the real sink.
  let admin: RedisClient;
  let restricted: RedisClient;
  let user: string;
  let namespace: string;
  let queue: Queue;
  let sink: QueueSink;
  let deps: AcceptDeps;

  beforeEach(async () => {
    namespace = uniquePrefix("atomic").toLowerCase().slice(0, 32);
    user = `accept-${namespace}`;
    admin = createRedis({ url: harnessRedisUrl() }, "commands", quietLog);
    await waitFor(() => admin.status === "ready", { message: "Redis connected" });
    // Everything the accept path writes, except the pending records (`<ns>:{ops-00}:pending:*`).
    const keys = [`~${namespace}:idem:*`, `~${namespace}:{ops-*}:ops-*`];
    await admin.call("ACL", "SETUSER", user, "on", ">pw", "+@all", ...keys);
    const url = new URL(harnessRedisUrl());
    url.username = user;
    url.password = "pw";
    restricted = createRedis({ url: url.toString() }, "queue", quietLog);
    await waitFor(() => restricted.status === "ready", { message: "restricted connection ready" });
    const catalog = { namespace, partitions: 1 };
    const states = { redis: restricted, namespace, ttlSeconds: 60 };
    sink = new QueueSink(restricted, catalog, states);
    deps = {
      db,
      states,
      coalescer: new Coalescer<QueuedOperation>({
        maxWaitMs: 0,
        maxItems: 10,
        store: (partition, ops) => sink.store(partition, ops),
      }),
      partitions: 1,
      log: quietLog,
    };
    const ref = partitionQueue(catalog, 0);
    queue = new Queue(ref.name, { connection: admin, prefix: ref.prefix });
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await sink.close();
    restricted.disconnect();
    await admin.call("ACL", "DELUSER", user);
    admin.disconnect();
  });

  /** What a poll (with full access) answers for `id`. */
  const poll = (id: string) =>
    readOperation({ db, states: { redis: admin, namespace, ttlSeconds: 60 } }, id, "cl_test");

  it("are stored together or not at all: a refused record leaves no job, and the retry is readable", async () => {
    // A discarded transaction reconnects the connection (see storeApplyJob).
    const reconnected = once(restricted, "ready");
    const first = await submit(deps, "k-atomic");
    expect({ kind: first.kind, waiting: await queue.getWaitingCount() }).toEqual({
      kind: "unavailable",
      waiting: 0,
    });

    // Redis takes the records again: the caller's retry with the same key is accepted, and readable.
    await admin.call("ACL", "SETUSER", user, "allkeys");
    await reconnected;
    const retry = await submit(deps, "k-atomic");
    expect(retry, JSON.stringify(retry)).toMatchObject({ kind: "accepted", replayed: true });
    const id = (retry as { id: string }).id;
    expect(await poll(id)).toMatchObject({ final: false, view: { id, status: "accepted" } });
    const waiting = await queue.getWaiting();
    expect(waiting.map((job) => (job.data as ApplyJob).operations.map((op) => op.id))).toEqual([[id]]);
  });

  it("(negative control) written one after the other, the same fault leaves a stored job that polls do not find", async () => {
    const op: QueuedOperation = {
      id: newOperationId(0),
      clientId: "cl_test",
      idempotencyKey: null,
      request,
      requestHash: "-",
      acceptedAt: Date.now(),
    };
    const restrictedQueue = new Queue(queue.name, { connection: restricted, prefix: queue.opts.prefix });
    try {
      await restrictedQueue.add(JOB_NAMES.apply, { v: 1, operations: [op] });
      await expect(
        markAccepted(deps.states, [{ id: op.id, clientId: op.clientId, type: "credit" }]),
      ).rejects.toThrow(/NOPERM/);
    } finally {
      await restrictedQueue.close();
    }
    expect(await queue.getWaitingCount()).toBe(1);
    expect(await poll(op.id)).toBeNull();
  });
});
