import { allPartitionQueues, type Catalog, type QueueRef } from "@accounts/queue";
import type { Redis } from "ioredis";

/** Jobs of one partition queue that are not finished yet. */
export interface PartitionDepth {
  queue: string;
  waiting: number;
  active: number;
  /** Delayed, prioritized or paused: anything else not finished. */
  other: number;
}

/**
 * Reads the unfinished jobs of every partition queue straight from BullMQ's keys
 * (`<prefix>:<name>:wait`, `:active`, `:paused` lists; `:delayed`, `:prioritized` sorted sets), one
 * pipeline for all partitions, without opening a BullMQ Queue.
 *
 * @example
 * const depths = await partitionDepths(redis, { namespace: stack.namespace, partitions: 16 });
 * depths.every((d) => d.waiting + d.active + d.other === 0); // drained
 */
export async function partitionDepths(redis: Redis, catalog: Catalog): Promise<PartitionDepth[]> {
  const queues = allPartitionQueues(catalog);
  const key = (ref: QueueRef, suffix: string) => `${ref.prefix}:${ref.name}:${suffix}`;
  const pipeline = redis.pipeline();
  for (const ref of queues) {
    pipeline.llen(key(ref, "wait"));
    pipeline.llen(key(ref, "active"));
    pipeline.llen(key(ref, "paused"));
    pipeline.zcard(key(ref, "delayed"));
    pipeline.zcard(key(ref, "prioritized"));
  }
  const replies = (await pipeline.exec()) ?? [];
  const counts = replies.map(([error, value]) => {
    if (error) throw error;
    return Number(value);
  });
  return queues.map((ref, i) => {
    const [waiting = 0, active = 0, paused = 0, delayed = 0, prioritized = 0] = counts.slice(
      i * 5,
      i * 5 + 5,
    );
    return { queue: ref.name, waiting, active, other: paused + delayed + prioritized };
  });
}

/** Total unfinished jobs over every partition. */
export function totalDepth(depths: readonly PartitionDepth[]): number {
  return depths.reduce((sum, d) => sum + d.waiting + d.active + d.other, 0);
}
