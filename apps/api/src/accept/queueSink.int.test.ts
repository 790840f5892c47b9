import {
  newOperationId,
  type OperationRequest,
  operationIdTime,
  type QueuedOperation,
} from "@accounts/domain";
import { createRedis, partitionQueue, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, waitFor } from "@accounts/tests/harness";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { QueueSink } from "./queueSink.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// The sink's backpressure against real Redis: a job for a partition with too many jobs waiting is
// held until the partition drained, then stored; other partitions are not held meanwhile.

let connection: RedisClient;
beforeAll(async () => {
  connection = createRedis({ url: harnessRedisUrl() }, "queue", quietLog);
  await waitFor(() => connection.status === "ready", { message: "Redis connected" });
});
afterAll(async () => {
  await connection.quit().catch(() => {});
});

/** An operation of `partition`, labelled (in its user id) to find it in the queue. */
function operation(label: string, partition = 0): QueuedOperation {
  const id = newOperationId(partition);
  return {
    id,
    clientId: "cl_test",
    idempotencyKey: null,
    request: { type: "credit", account: { userId: label, currency: "USD" }, amount: "1" },
    requestHash: "-",
    acceptedAt: operationIdTime(id),
  };
}

it("holds a job while its partition is over the backlog limit, and stores it once drained", async () => {
  const catalog = { namespace: uniquePrefix("sink").toLowerCase().slice(0, 32), partitions: 2 };
  const holds: number[] = [];
  const states = { redis: connection, namespace: catalog.namespace, ttlSeconds: 60 };
  const sink = new QueueSink(connection, catalog, states, {
    maxWaitingJobs: 3,
    maxHoldMs: 60_000,
    pollMs: 5,
    onHold: (partition) => holds.push(partition),
  });
  const ref = partitionQueue(catalog, 0);
  const queue = new Queue(ref.name, { connection, prefix: ref.prefix });
  try {
    for (let i = 0; i < 3; i++) await sink.store(0, [operation(`op-${i}`)]);
    expect(await queue.getWaitingCount()).toBe(3);
    // The third store read the count (3) in its own transaction: the next job is held at once.

    let stored = false;
    const held = sink.store(0, [operation("op-held")]).then(() => {
      stored = true;
    });
    // The other partition is not behind: its job goes through while partition 0 is held.
    await sink.store(1, [operation("op-other", 1)]);
    await waitFor(() => holds.length > 0, { message: "partition 0 held" });
    expect(holds).toEqual([0]);
    expect(stored).toBe(false);
    expect(await queue.getWaitingCount()).toBe(3);

    // The workers catch up: two jobs leave the waiting list, and the held job is stored.
    const [first, second] = await queue.getWaiting(0, 1);
    await Promise.all([first?.remove(), second?.remove()]);
    await held;
    expect(stored).toBe(true);
    const waiting = await queue.getWaiting();
    expect(
      waiting
        .map((job) => (job.data.operations as QueuedOperation[])[0]?.request)
        .map(userOf)
        .sort(),
    ).toEqual(["op-2", "op-held"]);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await sink.close();
  }
});

function userOf(request: OperationRequest | undefined): string | undefined {
  return request?.type === "credit" ? request.account.userId : undefined;
}
