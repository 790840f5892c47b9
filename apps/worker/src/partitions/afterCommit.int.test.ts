import { once } from "node:events";
import { hex16ToLsn, poolOf, readWalInsertPosition } from "@accounts/db";
import { freePort } from "@accounts/devstack";
import {
  createRedis,
  finishedChannel,
  markAccepted,
  operationScope,
  type RedisClient,
  readCommitPosition,
  readPendingState,
} from "@accounts/queue";
import { capturingLogger } from "@accounts/runtime";
import { harnessRedisUrl, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queuedCredit, useWorkerTestBed } from "../testing/workerTestDeps.ts";
import { afterCommit } from "./afterCommit.ts";
import { StoppingError } from "./applyWithRetry.ts";

// What follows a commit, against real Redis: the records a poll reads, the Pub/Sub notice that wakes
// long polls, and the hooks. The outcomes are as applyOperationBatch returns them.

const bed = useWorkerTestBed();
let subscriber: RedisClient;

beforeAll(async () => {
  subscriber = createRedis({ url: harnessRedisUrl() }, "subscriber", bed().log);
  await subscriber.subscribe(finishedChannel(bed().states.namespace));
});
afterAll(() => {
  subscriber.disconnect();
});

/** Operations accepted by the API (pending records written) and just committed by a worker. */
async function committedOutcomes(...users: string[]) {
  const operations = users.map((user) => queuedCredit(user));
  await markAccepted(
    bed().states,
    operations.map((op) => ({ id: op.id, clientId: op.clientId, type: "credit" })),
  );
  return operations.map((op) => ({
    id: op.id,
    clientId: op.clientId,
    type: "credit" as const,
    request: op.request,
    status: "applied" as const,
    rejection: null,
    balances: [],
    acceptedAt: new Date(op.acceptedAt),
    finishedAt: new Date(),
    replayed: false,
  }));
}

describe("afterCommit", () => {
  it("drops the operations' pending records, announces them to long polls, and runs every hook", async () => {
    const outcomes = await committedOutcomes("after-a", "after-b");
    const hooked: string[][] = [];
    const announced = once(subscriber, "message");
    await afterCommit(outcomes, 3, {
      ...bed(),
      hooks: [
        async (done, partition) => void hooked.push([String(partition), ...done.map((o) => o.id)]),
        async (done) => void hooked.push(done.map((o) => o.id)),
      ],
    });
    for (const outcome of outcomes) expect(await readPendingState(bed().states, outcome.id)).toBeNull();
    const [, message] = await announced;
    expect(String(message).split(",")).toEqual(outcomes.map((o) => o.id));
    expect(hooked).toEqual([["3", ...outcomes.map((o) => o.id)], outcomes.map((o) => o.id)]);
  });

  it("logs a hook that fails and throws nothing: the operations are committed and reported", async () => {
    const outcomes = await committedOutcomes("after-c");
    const { log, lines } = capturingLogger();
    let hookRan = false;
    await expect(
      afterCommit(outcomes, 0, {
        ...bed(),
        log,
        hooks: [
          async () => {
            throw new Error("hook broke");
          },
          async () => {
            hookRan = true;
          },
        ],
      }),
    ).resolves.toBeUndefined();
    expect(hookRan).toBe(true);
    expect(await readPendingState(bed().states, outcomes[0]?.id as string)).toBeNull();
    const failures = lines.filter(
      (line) => line.msg === "post-commit step failed (operations are committed)",
    );
    expect(failures.map((line) => (line.err as { message: string }).message)).toEqual(["hook broke"]);
  });

  it("while the pending records cannot be dropped, reports nothing and waits (until stopped)", async () => {
    // A poll reports an operation final only once its record is gone: dropping it is not best effort
    // (a record left behind by a Redis Cluster's MOVED kept an applied operation `accepted`).
    const outcomes = await committedOutcomes("after-f");
    const { log, lines } = capturingLogger();
    const away = createRedis({ url: `redis://127.0.0.1:${await freePort()}` }, "commands", log);
    const stopping = new AbortController();
    try {
      let hookRan = false;
      const running = afterCommit(outcomes, 0, {
        states: { ...bed().states, redis: away },
        log,
        stopping: stopping.signal,
        hooks: [
          async () => {
            hookRan = true;
          },
        ],
      }).catch((error: unknown) => error);
      await waitFor(() =>
        lines.some(
          (line) => line.msg === "cannot drop the pending records of committed operations yet: retrying",
        ),
      );
      stopping.abort();
      expect(await running).toBeInstanceOf(StoppingError);
      expect(hookRan).toBe(false);
      expect(await readPendingState(bed().states, outcomes[0]?.id as string)).not.toBeNull();
    } finally {
      away.disconnect();
    }
  });

  it("publishes the commit position first; while it cannot, reports nothing and waits (until stopped)", async () => {
    const outcomes = await committedOutcomes("after-d");
    await afterCommit(outcomes, 0, { ...bed(), hooks: [] });
    const mark = await readCommitPosition(bed().states.redis, bed().states.namespace, operationScope(0));
    expect(mark).not.toBeNull();
    expect(hex16ToLsn(mark as string)).toBeLessThanOrEqual(await readWalInsertPosition(poolOf(bed().db)));

    const unreported = await committedOutcomes("after-e");
    const { log, lines } = capturingLogger();
    const away = createRedis({ url: `redis://127.0.0.1:${await freePort()}` }, "commands", log);
    const stopping = new AbortController();
    try {
      let hookRan = false;
      const running = afterCommit(unreported, 0, {
        ...bed(),
        states: { ...bed().states, redis: away },
        log,
        stopping: stopping.signal,
        hooks: [
          async () => {
            hookRan = true;
          },
        ],
      }).catch((error: unknown) => error);
      await waitFor(() =>
        lines.some((line) => line.msg === "cannot publish the commit position yet: retrying"),
      );
      expect(hookRan).toBe(false);
      stopping.abort();
      expect(await running).toBeInstanceOf(StoppingError);
      expect(hookRan).toBe(false);
      expect(await readPendingState(bed().states, unreported[0]?.id as string)).not.toBeNull();
    } finally {
      away.disconnect();
    }
  });
});
