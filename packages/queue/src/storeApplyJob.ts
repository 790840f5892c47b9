import { partitionOfOperationId, type QueuedOperation } from "@accounts/domain";
import { type IRedisTransaction, Job, type Queue } from "bullmq";
import type { ChainableCommander } from "ioredis";
import { JOB_NAMES } from "./catalog.ts";
import {
  clearPendingStates,
  markAccepted,
  type OperationStateStore,
  type PendingOperationRef,
  pendingRecordWrites,
} from "./operationState.ts";
import type { ApplyJob } from "./payloads.ts";

/**
 * BullMQ's transaction type declares only the commands BullMQ itself queues; over ioredis (the only
 * client this project makes, see connection.ts) it is ioredis's own MULTI, which has them all.
 */
type Transaction = IRedisTransaction & Pick<ChainableCommander, "expire">;

function refOf(op: QueuedOperation): PendingOperationRef {
  return { id: op.id, clientId: op.clientId, type: op.request.type };
}

/**
 * Stores one apply job carrying `operations` (in order) on partition `partition`'s queue, TOGETHER
 * with their pending ("accepted") records: one MULTI/EXEC on the queue's connection holds BullMQ's
 * add script and the HSET/EXPIRE of the records, so Redis has both or neither. A poll for an
 * acknowledged operation therefore always finds it; when the records were written in a command of
 * their own after the job, a failure in between left stored operations that polls answered 404
 * (seen in a crash test), and a worker could finish a job before its records landed. It also saves
 * the accept path a round trip.
 *
 * The records carry the partition's hash tag (`acct:{ops-07}:pending:...`), the same Redis Cluster
 * slot as the queue's keys, which a MULTI requires. An operation id names its partition; only after
 * PARTITIONS changed can a retry queue an old id on another partition's queue: its record is then
 * written after the transaction, on its own slot.
 *
 * Resolves with the jobs waiting on the partition once this one is stored (an LLEN in the same
 * transaction): the API's backpressure reads it instead of asking Redis on its own.
 *
 * Rejects when Redis did not take the transaction: then nothing of it is stored.
 *
 * One quirk of ioredis is handled here: it sends a script as EVAL the first time on a connection and
 * as EVALSHA afterwards. When Redis discards a transaction at EXEC (EXECABORT: a command refused
 * while queuing, e.g. out of memory), the EVAL inside it never ran, yet ioredis takes the script as
 * loaded, and every later transaction on that connection fails with NOSCRIPT. Either error
 * reconnects the connection, so that the next transaction sends the script whole again.
 *
 * @example
 * const { waiting } = await storeApplyJob(queue, 7, operations, states);
 */
export async function storeApplyJob(
  queue: Queue,
  partition: number,
  operations: readonly QueuedOperation[],
  states: OperationStateStore,
): Promise<{ waiting: number }> {
  const here = operations.filter((op) => partitionOfOperationId(op.id) === partition).map(refOf);
  const elsewhere = operations.filter((op) => partitionOfOperationId(op.id) !== partition).map(refOf);
  const data: ApplyJob = { v: 1, operations: [...operations] };
  const job = new Job(queue, JOB_NAMES.apply, data, queue.jobsOpts);
  const client = await queue.client;
  const transaction = client.multi() as Transaction;
  // Queues BullMQ's add script into the transaction, as its FlowProducer adds a flow's jobs; the
  // job id comes back in the transaction's results.
  await job.addJob(transaction);
  for (const write of pendingRecordWrites(states, here)) {
    transaction.hset(write.key, write.fields);
    transaction.expire(write.key, write.ttlSeconds);
  }
  transaction.llen(queue.toKey("wait"));
  const results = await transaction.exec().catch((error: unknown) => {
    if (/^EXECABORT/.test(errorMessage(error))) client.disconnect(true);
    throw error;
  });
  if (results === null) throw new Error("Redis discarded the transaction storing the job");
  const [added, ...rest] = results;
  const records = rest.slice(0, -1);
  const counted = rest[rest.length - 1];
  if (added?.[0]) {
    if (/^NOSCRIPT/.test(added[0].message)) client.disconnect(true);
    // Commands of a transaction that Redis executed are not rolled back when another fails: a
    // record without its job would answer "accepted" for an operation no worker will apply.
    if (here.length > 0)
      await clearPendingStates(
        states,
        here.map((op) => op.id),
      ).catch(() => {});
    throw added[0];
  }
  const failed = records.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  if (elsewhere.length > 0) await markAccepted(states, elsewhere);
  return { waiting: typeof counted?.[1] === "number" ? counted[1] : 0 };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
