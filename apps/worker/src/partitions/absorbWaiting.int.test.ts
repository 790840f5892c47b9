import { newOperationId, type QueuedOperation } from "@accounts/domain";
import { createRedis, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix } from "@accounts/tests/harness";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { absorbWaiting, removeAbsorbed } from "./absorbWaiting.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// Real Redis and BullMQ: a queue of its own per test.

let connection: RedisClient;
beforeAll(() => {
  connection = createRedis({ url: harnessRedisUrl() }, "consumer", quietLog);
});
afterAll(() => {
  connection.disconnect();
});

function operations(n: number, label: string): QueuedOperation[] {
  return Array.from({ length: n }, (_, i) => ({
    id: newOperationId(),
    clientId: label,
    idempotencyKey: null,
    request: { type: "credit", account: { userId: `${label}-${i}`, currency: "USD" }, amount: "1" },
    requestHash: "h",
    acceptedAt: Date.now(),
  }));
}

async function queueWith(jobs: unknown[]): Promise<Queue> {
  const queue = new Queue("ops-00", { connection, prefix: uniquePrefix("absorb") });
  for (const data of jobs) await queue.add("apply", data);
  return queue;
}

describe("absorbWaiting", () => {
  it("takes the waiting jobs oldest first, within the operation limit, and removes them after", async () => {
    const queue = await queueWith([
      { v: 1, operations: operations(2, "a") },
      { v: 1, operations: operations(3, "b") },
      { v: 1, operations: operations(4, "c") },
    ]);
    const absorbed = await absorbWaiting(queue, 1, { maxJobs: 10, maxOperations: 7 });
    expect(
      absorbed.jobs.map((j) => (j.data as { operations: QueuedOperation[] }).operations[0]?.clientId),
    ).toEqual(["a", "b"]);
    expect(absorbed.operations.map((o) => o.clientId)).toEqual(["a", "a", "b", "b", "b"]);
    await removeAbsorbed(absorbed);
    expect(await queue.getWaitingCount()).toBe(1);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it("stops at the first job it cannot read, so that nothing behind it overtakes it", async () => {
    const queue = await queueWith([
      { v: 1, operations: operations(1, "a") },
      { v: 1, operations: "not operations" },
      { v: 1, operations: operations(1, "c") },
    ]);
    const absorbed = await absorbWaiting(queue, 1, { maxJobs: 10, maxOperations: 100 });
    expect(absorbed.operations.map((o) => o.clientId)).toEqual(["a"]);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it("takes nothing when the active job fills the transaction or absorbing is off", async () => {
    const queue = await queueWith([{ v: 1, operations: operations(1, "a") }]);
    expect((await absorbWaiting(queue, 100, { maxJobs: 10, maxOperations: 100 })).jobs).toEqual([]);
    expect((await absorbWaiting(queue, 1, { maxJobs: 0, maxOperations: 100 })).jobs).toEqual([]);
    await queue.obliterate({ force: true });
    await queue.close();
  });
});
