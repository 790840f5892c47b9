import {
  type Catalog,
  JOB_NAMES,
  JOB_OPTIONS,
  partitionQueue,
  type QueuedOperation,
  type RedisClient,
} from "@accounts/queue";
import { Queue } from "bullmq";

/**
 * Stores apply jobs on the partition queues: one BullMQ Queue per partition over one shared
 * connection (which fails fast when Redis is unreachable: the caller gets a 503, not a hang).
 */
export class QueueSink {
  readonly #queues: Queue[];

  constructor(connection: RedisClient, catalog: Catalog) {
    this.#queues = Array.from({ length: catalog.partitions }, (_, p) => {
      const ref = partitionQueue(catalog, p);
      return new Queue(ref.name, {
        connection,
        prefix: ref.prefix,
        defaultJobOptions: JOB_OPTIONS.partition,
      });
    });
  }

  /** Stores one job carrying `operations`, in order. Resolves once Redis acknowledged it. */
  async store(partition: number, operations: QueuedOperation[]): Promise<void> {
    const queue = this.#queues[partition];
    if (!queue) throw new RangeError(`no queue for partition ${partition}`);
    await queue.add(JOB_NAMES.apply, { v: 1, operations });
  }

  async close(): Promise<void> {
    await Promise.all(this.#queues.map((queue) => queue.close()));
  }
}
