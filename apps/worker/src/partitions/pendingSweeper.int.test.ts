import { applyOperationBatch } from "@accounts/db";
import { type Catalog, markAccepted, partitionQueue, readPendingState, storeApplyJob } from "@accounts/queue";
import { waitFor } from "@accounts/tests/harness";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { queuedCredit, useWorkerTestBed } from "../testing/workerTestDeps.ts";
import { LOST_PROBLEM, sweepPending } from "./pendingSweeper.ts";

// An acknowledged operation never stays `accepted` for good: real Redis and PostgreSQL, three
// records past the age limit, one of each kind.

const bed = useWorkerTestBed();
let catalog: Catalog;
let queue: Queue;

beforeAll(async () => {
  await waitFor(() => bed().redis.status === "ready", { message: "Redis connected" });
  catalog = { namespace: bed().states.namespace, partitions: 2 };
  const ref = partitionQueue(catalog, 1);
  queue = new Queue(ref.name, { connection: bed().redis, prefix: ref.prefix });
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
});

it("reports a record whose job is gone as failed (lost), drops one final in PostgreSQL, leaves one in a job", async () => {
  const { states, db, log } = bed();
  const lost = queuedCredit("sweep-lost", "1", 1);
  const applied = queuedCredit("sweep-applied", "1", 1);
  const waiting = queuedCredit("sweep-waiting", "1", 1);
  const fresh = queuedCredit("sweep-fresh", "1", 1);
  const ref = (op: typeof lost) => ({ id: op.id, clientId: op.clientId, type: op.request.type });
  // Records whose job Redis lost (or never had), one of them applied all the same.
  await markAccepted(states, [ref(lost), ref(applied)]);
  await applyOperationBatch(db, { partition: 1, operations: [applied], scales: new Map([["USD", 2]]) });
  // A job still waiting carries its record.
  await storeApplyJob(queue, 1, [waiting], states);

  // Twenty minutes from now, with records that live an hour (this file's live 10 minutes).
  const later = Date.now() + 20 * 60_000;
  const swept = await sweepPending(
    { db, states: { ...states, ttlSeconds: 3600 }, catalog, log },
    { staleAfterMs: 10 * 60_000, failedTtlSeconds: 600, now: later },
  );
  expect(swept.lost.map((op) => op.id)).toEqual([lost.id]);
  expect(swept.cleared).toBe(1);
  expect(await readPendingState(states, lost.id)).toMatchObject({ state: "failed", problem: LOST_PROBLEM });
  expect(await readPendingState(states, applied.id)).toBeNull();
  expect(await readPendingState(states, waiting.id)).toMatchObject({ state: "accepted" });

  // Younger than the limit: not looked at.
  await markAccepted(states, [ref(fresh)]);
  const again = await sweepPending(
    { db, states, catalog, log },
    { staleAfterMs: 10 * 60_000, failedTtlSeconds: 600 },
  );
  expect(again).toEqual({ cleared: 0, lost: [] });
  expect(await readPendingState(states, fresh.id)).toMatchObject({ state: "accepted" });
});
