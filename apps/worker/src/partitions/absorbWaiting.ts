import { applyJobSchema, type QueuedOperation } from "@accounts/queue";
import type { Job, Queue } from "bullmq";

export interface Absorbed {
  jobs: Job[];
  operations: QueuedOperation[];
}

export interface AbsorbLimits {
  /** Most waiting jobs looked at and taken. */
  maxJobs: number;
  /** Most operations in one transaction, the active job's included. */
  maxOperations: number;
}

export const NOTHING_ABSORBED: Absorbed = { jobs: [], operations: [] };

/**
 * The jobs waiting right behind the active one on this partition, oldest first, to apply in the SAME
 * transaction: a partition that fell behind catches up in a few large transactions instead of many
 * small ones. Safe because the partition has exactly one active job (global concurrency 1), so no
 * other worker can take these meanwhile; they are removed only after the commit, and if that removal
 * is lost (a crash) they simply run later and find every operation applied.
 *
 * Stops at the first job it cannot read, so that order is kept (that job fails on its own turn).
 */
export async function absorbWaiting(
  queue: Queue,
  alreadyTaken: number,
  limits: AbsorbLimits,
): Promise<Absorbed> {
  const room = limits.maxOperations - alreadyTaken;
  if (room <= 0 || limits.maxJobs <= 0) return NOTHING_ABSORBED;
  const waiting = await queue.getJobs(["wait"], 0, limits.maxJobs - 1, true);
  const jobs: Job[] = [];
  const operations: QueuedOperation[] = [];
  for (const job of waiting) {
    const parsed = applyJobSchema.safeParse(job.data);
    if (!parsed.success || operations.length + parsed.data.operations.length > room) break;
    jobs.push(job);
    operations.push(...parsed.data.operations);
  }
  return { jobs, operations };
}

/** Removes absorbed jobs once their operations are committed (best effort: a leftover is a replay). */
export async function removeAbsorbed(absorbed: Absorbed): Promise<void> {
  await Promise.allSettled(absorbed.jobs.map((job) => job.remove()));
}
