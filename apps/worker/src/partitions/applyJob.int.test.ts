import { findOperation, type OperationOutcome } from "@accounts/db";
import type { QueuedOperation } from "@accounts/domain";
import { type ApplyJob, markAccepted, readPendingState } from "@accounts/queue";
import { uniquePrefix } from "@accounts/tests/harness";
import { type Job, Queue, UnrecoverableError } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installPoisonTrigger, queuedCredit, useWorkerTestBed } from "../testing/workerTestDeps.ts";
import { createApplyProcessor } from "./applyJob.ts";
import { applyWithRetry, PoisonBatchError } from "./applyWithRetry.ts";

// The processor of a partition queue against real PostgreSQL, Redis and BullMQ jobs. The poison is
// a trigger that fails every ledger entry of a `poison*` user, as a bug or corrupt data would.

const bed = useWorkerTestBed();
let queue: Queue;

beforeAll(async () => {
  await installPoisonTrigger(bed().db);
  queue = new Queue("ops-00", { connection: bed().redis, prefix: uniquePrefix("apply-job") });
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
});

/** Queues a job of `operations` as the API does (with their pending records) and returns it. */
async function jobOf(operations: QueuedOperation[]): Promise<Job> {
  await markAccepted(
    bed().states,
    operations.map((op) => ({ id: op.id, clientId: op.clientId, type: op.request.type })),
  );
  return queue.add("apply", { v: 1, operations } satisfies ApplyJob);
}

describe("a job with a poisonous operation", () => {
  it("applies the others, marks the poisonous one failed, and fails the job for an operator", async () => {
    const good = queuedCredit("good-a");
    const poison = queuedCredit("poison-a");
    const later = queuedCredit("good-b");
    const job = await jobOf([good, poison, later]);
    const committed: OperationOutcome[] = [];
    const failed: string[] = [];
    const process = createApplyProcessor(
      bed().applyDeps({
        hooks: [async (outcomes) => void committed.push(...outcomes)],
        onOperationsFailed: (operations) => failed.push(...operations.map((op) => op.id)),
      }),
      0,
    );

    const error = await process(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toMatch(/^1 of 3 operations failed: .*poisoned entry for poison-a/);

    for (const op of [good, later]) {
      expect((await findOperation(bed().db, op.id))?.status).toBe("applied");
      expect(await readPendingState(bed().states, op.id)).toBeNull();
    }
    expect(committed.map((o) => o.id).sort()).toEqual([good.id, later.id].sort());
    expect(await findOperation(bed().db, poison.id)).toBeUndefined();
    expect(await readPendingState(bed().states, poison.id)).toMatchObject({
      state: "failed",
      clientId: "cl_test",
      problem: expect.stringMatching(/poisoned entry for poison-a/),
    });
    expect(failed).toEqual([poison.id]);
  });

  it("(negative control) without the isolation, the poison holds the good operations back", async () => {
    const good = queuedCredit("good-c");
    const batch = {
      partition: 0,
      operations: [good, queuedCredit("poison-c")],
      scales: new Map([["USD", 2]]),
    };
    await expect(applyWithRetry(bed().db, batch, bed().applyDeps())).rejects.toBeInstanceOf(PoisonBatchError);
    expect(await findOperation(bed().db, good.id)).toBeUndefined();
  });

  it("applies the active job alone when the poison sits in a job it absorbed; that job waits its turn", async () => {
    const own = queuedCredit("good-d");
    const absorbedJob = await jobOf([queuedCredit("poison-d")]);
    const job = await jobOf([own]);
    const absorbedOperations = (absorbedJob.data as ApplyJob).operations;
    const process = createApplyProcessor(
      bed().applyDeps({ absorb: async () => ({ jobs: [absorbedJob], operations: absorbedOperations }) }),
      0,
    );
    expect(await process(job)).toMatchObject({ operations: 1, applied: 1, failed: 0 });
    expect((await findOperation(bed().db, own.id))?.status).toBe("applied");
    // Not removed with the commit, not marked failed: it fails (or not) when its own turn comes.
    expect(await queue.getJob(absorbedJob.id as string)).toBeDefined();
    expect(await readPendingState(bed().states, absorbedOperations[0]?.id as string)).toMatchObject({
      state: "accepted",
    });
  });
});

describe("a malformed job", () => {
  it("fails at once, without retries, naming what is wrong", async () => {
    const job = await queue.add("apply", { v: 1, operations: [] });
    await expect(createApplyProcessor(bed().applyDeps(), 0)(job)).rejects.toThrow(UnrecoverableError);
    await expect(createApplyProcessor(bed().applyDeps(), 0)(job)).rejects.toThrow(/malformed apply job/);
  });
});
