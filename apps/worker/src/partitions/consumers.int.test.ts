import { CurrencyCache, createDb, createPool, findOperation, listEntries } from "@accounts/db";
import { freePort } from "@accounts/devstack";
import type { QueuedOperation } from "@accounts/domain";
import { type Catalog, partitionQueue, storeApplyJob } from "@accounts/queue";
import { harnessRedisUrl, uniquePrefix, waitFor } from "@accounts/tests/harness";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queuedCredit, useWorkerTestBed } from "../testing/workerTestDeps.ts";
import type { ApplyJobDeps } from "./applyJob.ts";
import { type PartitionConsumers, startPartitionConsumers } from "./consumers.ts";

// The partition consumers against real PostgreSQL, Redis and BullMQ: jobs stored as the API stores
// them (storeApplyJob), applied by consumers started as the worker starts them.

const bed = useWorkerTestBed();
let catalog: Catalog;
const queues: Queue[] = [];

beforeAll(() => {
  catalog = { namespace: uniquePrefix("consumers").toLowerCase().slice(0, 32), partitions: 2 };
  for (let p = 0; p < catalog.partitions; p++) {
    const ref = partitionQueue(catalog, p);
    queues.push(new Queue(ref.name, { connection: bed().redis, prefix: ref.prefix }));
  }
});
afterAll(async () => {
  for (const queue of queues) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

/** Consumers of this file's catalog; `overrides` replace any of their deps (a database that is down). */
function start(overrides: Partial<ApplyJobDeps> = {}): Promise<PartitionConsumers> {
  return startPartitionConsumers({
    ...bed().applyDeps({ states: { ...bed().states, namespace: catalog.namespace }, ...overrides }),
    catalog,
    redis: { url: harnessRedisUrl() },
  });
}

async function store(partition: number, operations: QueuedOperation[]): Promise<void> {
  await storeApplyJob(queues[partition] as Queue, partition, operations, {
    ...bed().states,
    namespace: catalog.namespace,
  });
}

describe("partition consumers", () => {
  it("apply every partition's jobs, each partition in order, one active job per partition queue", async () => {
    const consumers = await start();
    try {
      const sequences = [0, 1].map((p) =>
        Array.from({ length: 6 }, (_, i) => queuedCredit(`order-${p}`, `${i + 1}`, p)),
      );
      for (let i = 0; i < 6; i++) {
        for (const [p, sequence] of sequences.entries()) await store(p, [sequence[i] as QueuedOperation]);
      }
      for (const queue of queues) expect(await queue.getGlobalConcurrency()).toBe(1);
      for (const [p, sequence] of sequences.entries()) {
        await waitFor(
          async () => (await findOperation(bed().db, (sequence.at(-1) as QueuedOperation).id)) !== undefined,
          {
            message: `partition ${p} applied`,
          },
        );
        // Newest first: the entries' versions follow the order the operations were stored in.
        const entries = (await listEntries(bed().db, { userId: `order-${p}`, limit: 10 })).reverse();
        expect(entries.map((e) => [e.operationId, e.version])).toEqual(
          sequence.map((op, i) => [op.id, i + 1]),
        );
      }
    } finally {
      await consumers.close();
    }
  });

  it("hand a job waiting for the database back to the front of its queue when they stop; the next worker applies it", async () => {
    const down = createDb(createPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { max: 1 }));
    let waited = 0;
    // As in a worker, the currency table is read from the same database: it is down too.
    const stopping = await start({
      db: down,
      currencies: new CurrencyCache(down, 0),
      onTransientFailure: () => {
        waited += 1;
      },
    });
    const op = queuedCredit("handed-back");
    try {
      await store(0, [op]);
      await waitFor(() => waited > 0, { message: "the job waiting for the database" });
    } finally {
      await stopping.close();
      await down.destroy();
    }
    const [job] = await (queues[0] as Queue).getWaiting();
    expect(job?.data.operations.map((o: QueuedOperation) => o.id)).toEqual([op.id]);
    expect(await (queues[0] as Queue).getFailedCount()).toBe(0);

    const next = await start();
    try {
      await waitFor(async () => (await findOperation(bed().db, op.id))?.status === "applied", {
        message: "applied by the next worker",
      });
    } finally {
      await next.close();
    }
  });
});
