import type { QueuedOperation } from "@accounts/domain";
import {
  type Catalog,
  closeSettled,
  JOB_OPTIONS,
  type OperationStateStore,
  partitionQueue,
  type RedisClient,
  storeApplyJob,
} from "@accounts/queue";
import { Queue } from "bullmq";
import { BacklogGate, type BacklogGateOptions } from "./backlogGate.ts";

/** The backpressure of {@link BacklogGate}, without the count it reads (the sink reads its queues). */
export type BacklogPolicy = Omit<BacklogGateOptions, "waiting">;

/**
 * Stores apply jobs on the partition queues, each with the pending records of its operations (see
 * storeApplyJob): one BullMQ Queue per partition over one shared connection (which fails fast when
 * Redis is unreachable: the caller gets a 503, not a hang).
 */
export class QueueSink {
  readonly #queues: Queue[];
  readonly #connection: RedisClient;
  readonly #catalog: Catalog;
  readonly #states: OperationStateStore;
  readonly #gate: BacklogGate | undefined;

  constructor(
    connection: RedisClient,
    catalog: Catalog,
    states: OperationStateStore,
    backlog?: BacklogPolicy,
  ) {
    this.#connection = connection;
    this.#catalog = catalog;
    this.#states = states;
    this.#queues = Array.from({ length: catalog.partitions }, (_, p) => this.#open(p));
    this.#gate = backlog
      ? new BacklogGate({
          ...backlog,
          waiting: (partition) => {
            const queue = this.#queues[partition];
            return queue ? connection.llen(queue.toKey("wait")) : Promise.resolve(0);
          },
        })
      : undefined;
  }

  /**
   * Stores one job carrying `operations`, in order, with their pending records. Resolves once Redis
   * acknowledged both; while the partition is behind, after a hold (see {@link BacklogGate}).
   */
  async store(partition: number, operations: QueuedOperation[]): Promise<void> {
    const queue = this.#queues[partition];
    if (!queue) throw new RangeError(`no queue for partition ${partition}`);
    await this.#gate?.admit(partition, operations.length);
    try {
      const { waiting } = await storeApplyJob(queue, partition, operations, this.#states);
      this.#gate?.observe(partition, waiting);
    } catch (error) {
      // BullMQ sets a Queue's connection up once (it reads INFO). When that failed, as it does on a
      // Redis Cluster that is not ready yet when the API starts (ioredis Cluster reports itself
      // connected before it knows the slots, and this connection queues nothing offline), every
      // later add fails the same way: start that partition over with a new Queue.
      if (
        await queue.client.then(
          () => false,
          () => true,
        )
      ) {
        this.#queues[partition] = this.#open(partition);
        queue.close().catch(() => {});
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#queues.map((queue) => closeSettled(queue)));
  }

  #open(partition: number): Queue {
    const ref = partitionQueue(this.#catalog, partition);
    return new Queue(ref.name, {
      connection: this.#connection,
      prefix: ref.prefix,
      defaultJobOptions: JOB_OPTIONS.partition,
    });
  }
}
