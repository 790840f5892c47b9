import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix } from "@accounts/tests/harness";
import { Queue, Worker } from "bullmq";
import { afterEach, beforeEach, expect, it } from "vitest";
import { closeSettled } from "./closeSettled.ts";
import { createRedis } from "./connection.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// A Queue or Worker closed right after it was made, on a shared connection that is then quit: BullMQ
// reported the failed set-up on an emitter without listeners, an unhandled rejection (seen in CI as
// "Connection is closed." from the scheduler's tests). closeSettled waits for the set-up first.

const rejections: unknown[] = [];
const record = (reason: unknown) => rejections.push(reason);
beforeEach(() => {
  rejections.length = 0;
  process.on("unhandledRejection", record);
});
afterEach(() => {
  process.off("unhandledRejection", record);
});

it("closes queues and workers made a moment ago without an unhandled rejection", async () => {
  const prefix = uniquePrefix("close-settled");
  for (let i = 0; i < 40; i++) {
    const connection = createRedis({ url: harnessRedisUrl() }, "queue", quietLog);
    const workerConnection = createRedis({ url: harnessRedisUrl() }, "consumer", quietLog);
    const queue = new Queue(`q${i}`, { connection, prefix });
    const worker = new Worker(`q${i}`, async () => {}, { connection: workerConnection, prefix });
    worker.on("error", () => {});
    // Closed at varied moments of the set-up (its INFO in flight or not yet sent).
    await new Promise((resolve) => setTimeout(resolve, i % 5));
    await closeSettled(worker);
    await closeSettled(queue);
    // As the apps do: quit answers the commands in flight; one that never connected just ends.
    await Promise.all([connection.quit().catch(() => {}), workerConnection.quit().catch(() => {})]);
  }
  // A rejection nobody handles is reported after the microtasks of its turn have run.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(rejections).toEqual([]);
});

it("gives up waiting for a set-up that cannot finish, and still closes", async () => {
  // Nothing listens on port 1: the connection retries forever and is never ready.
  const connection = createRedis({ url: "redis://127.0.0.1:1" }, "queue", quietLog);
  const queue = new Queue("never-ready", { connection, prefix: uniquePrefix("close-settled") });
  queue.on("error", () => {});
  await expect(closeSettled(queue, 300)).resolves.toBeUndefined();
  connection.disconnect();
});
