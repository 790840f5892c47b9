import {
  allPartitionQueues,
  type Catalog,
  closeSettled,
  EVENTS_MAX_LEN,
  JOB_OPTIONS,
  maintenanceQueue,
  type QueueKind,
  type QueueRef,
  type RedisClient,
  webhooksQueue,
} from "@accounts/queue";
import { type KeepJobs, Queue } from "bullmq";

/** Jobs removed per `clean` call; calls repeat until a batch comes back smaller. */
const CLEAN_BATCH = 1000;

export interface QueueTrim {
  queue: string;
  completed: number;
  failed: number;
  eventsTrimmed: number;
}

/**
 * Removes, from every queue of the catalog, the completed and failed jobs older than the age their
 * queue's JOB_OPTIONS keep them (`removeOnComplete.age` / `removeOnFail.age`), and caps each event
 * stream. BullMQ trims on completion already; this catches what that misses (jobs finished before the
 * retention was set, or by a process that crashed in between). Waiting, delayed and active jobs are
 * never touched.
 *
 * @example
 * await trimFinishedJobs(connection, { namespace: "acct", partitions: 16 })
 * // [{ queue: "ops-00", completed: 120, failed: 0, eventsTrimmed: 0 }, ...]
 */
export async function trimFinishedJobs(connection: RedisClient, catalog: Catalog): Promise<QueueTrim[]> {
  const queues: [QueueRef, QueueKind][] = [
    ...allPartitionQueues(catalog).map((ref): [QueueRef, QueueKind] => [ref, "partition"]),
    [webhooksQueue(catalog), "webhooks"],
    [maintenanceQueue(catalog), "maintenance"],
  ];
  const trims: QueueTrim[] = [];
  for (const [ref, kind] of queues) {
    const queue = new Queue(ref.name, { connection, prefix: ref.prefix });
    try {
      const options = JOB_OPTIONS[kind];
      trims.push({
        queue: ref.name,
        completed: await cleanOlderThan(queue, ageSeconds(options.removeOnComplete), "completed"),
        failed: await cleanOlderThan(queue, ageSeconds(options.removeOnFail), "failed"),
        eventsTrimmed: await queue.trimEvents(EVENTS_MAX_LEN),
      });
    } finally {
      await closeSettled(queue);
    }
  }
  return trims;
}

async function cleanOlderThan(queue: Queue, seconds: number | undefined, type: "completed" | "failed") {
  if (seconds === undefined) return 0;
  let removed = 0;
  for (;;) {
    const batch = await queue.clean(seconds * 1000, CLEAN_BATCH, type);
    removed += batch.length;
    if (batch.length < CLEAN_BATCH) return removed;
  }
}

function ageSeconds(option: boolean | number | KeepJobs | undefined): number | undefined {
  return typeof option === "object" && "age" in option ? option.age : undefined;
}
