import { readFileSync } from "node:fs";
import { allPartitionQueues, type Catalog } from "@accounts/queue";
import type { Redis } from "ioredis";
import { partitionDepths, totalDepth } from "../loadKit/queueDepth.ts";

/** Resident set size of process `pid` in MiB (Linux /proc), or NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return kib / 1024;
  } catch {
    return Number.NaN;
  }
}

/** What Redis holds: `used_memory` (the data set and its overhead) in MiB, and its key count. */
export async function redisMemory(redis: Redis): Promise<{ usedMiB: number; keys: number }> {
  const info = await redis.info();
  const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
  const keys = Number(/^db0:keys=(\d+)/m.exec(info)?.[1] ?? 0);
  return { usedMiB: used / 1024 / 1024, keys };
}

/** Unfinished jobs over every partition queue. */
export async function queueDepth(redis: Redis, catalog: Catalog): Promise<number> {
  return totalDepth(await partitionDepths(redis, catalog));
}

/**
 * Completed jobs BullMQ keeps over every partition queue. They are trimmed by count and age
 * (`JOB_OPTIONS.partition.removeOnComplete`), so Redis memory grows by design until they reach it.
 */
export async function completedJobs(redis: Redis, catalog: Catalog): Promise<number> {
  const pipeline = redis.pipeline();
  for (const ref of allPartitionQueues(catalog)) pipeline.zcard(`${ref.prefix}:${ref.name}:completed`);
  const replies = (await pipeline.exec()) ?? [];
  return replies.reduce((sum, [, value]) => sum + Number(value), 0);
}
