import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, waitFor } from "@accounts/tests/harness";
import { expect, it } from "vitest";
import { createRedis, isRedisCommandUnsent } from "./connection.ts";
import { ReplicasUnconfirmedError, waitForReplicas } from "./replicaWait.ts";

// The WAIT after a stored job against real Redis (the harness's, which has no replica). Whatever
// stops the WAIT, the job was stored: the error must never read as a command that never left
// (isRedisCommandUnsent), which frees the caller's Idempotency-Key. Found by the host-loss faults.

const log = createLogger({ service: "test", level: "silent" });

it("rejects as unconfirmed when no replica confirms, and observes the wait", async () => {
  const redis = createRedis({ url: harnessRedisUrl() }, "queue", log);
  try {
    await waitFor(() => redis.status === "ready", { message: "Redis connected" });
    const seen: boolean[] = [];
    const error = await waitForReplicas(redis, "k", {
      minReplicas: 1,
      timeoutMs: 10,
      observe: (_, confirmed) => seen.push(confirmed),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicasUnconfirmedError);
    expect(seen).toEqual([false]);
    await expect(waitForReplicas(redis, "k", { minReplicas: 0, timeoutMs: 10 })).resolves.toBeUndefined();
  } finally {
    redis.disconnect();
  }
});

it("reports a WAIT that could not be sent as unconfirmed, never as an unsent store", async () => {
  const redis = createRedis({ url: harnessRedisUrl() }, "queue", log);
  await waitFor(() => redis.status === "ready", { message: "Redis connected" });
  redis.disconnect();
  const error = await waitForReplicas(redis, "k", { minReplicas: 1, timeoutMs: 10 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ReplicasUnconfirmedError);
  expect(isRedisCommandUnsent((error as Error).cause)).toBe(true);
  expect(isRedisCommandUnsent(error)).toBe(false);
});
