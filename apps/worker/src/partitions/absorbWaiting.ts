import type { QueuedOperation } from "@accounts/domain";
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
 * Stops at the first job that is not shaped like an apply job, so that order is kept (that job fails
 * on its own turn).
 */
export async function absorbWaiting(
  queue: Queue,
  alreadyTaken: number,
  limits: AbsorbLimits,
): Promise<Absorbed> {
  const room = limits.maxOperations - alreadyTaken;
  if (room <= 0 || limits.maxJobs <= 0) return NOTHING_ABSORBED;
  const jobs: Job[] = [];
  const operations: QueuedOperation[] = [];
  // Fetch about as many jobs as the budget holds, guessing their size from the active job's:
  // fetching (and parsing) jobs beyond the budget was measured as the worker's biggest cost under a
  // backlog (up to 170 ms per transaction of 2000 operations in jobs of 400).
  const page = Math.max(1, Math.min(MAX_PAGE, Math.ceil(room / Math.max(1, alreadyTaken))));
  for (let start = 0; start < limits.maxJobs; start += page) {
    const fetched = await queue.getJobs(["wait"], start, Math.min(start + page, limits.maxJobs) - 1, true);
    for (const job of fetched) {
      const carried = operationsOf(job.data);
      if (!carried || operations.length + carried.length > room) return { jobs, operations };
      jobs.push(job);
      operations.push(...carried);
    }
    if (fetched.length < page) break;
  }
  return { jobs, operations };
}

const MAX_PAGE = 16;

/**
 * The operations of a waiting job, checked only for shape: the API built them from validated
 * requests. (Full schema validation of every absorbed operation cost more than applying it.) Should
 * one still be wrong, the combined batch fails, and the active job is then applied alone, with its
 * own data fully validated; the bad job fails on its own turn.
 */
function operationsOf(data: unknown): QueuedOperation[] | undefined {
  const job = data as { v?: unknown; operations?: unknown } | null;
  if (job?.v !== 1 || !Array.isArray(job.operations) || job.operations.length === 0) return undefined;
  return job.operations as QueuedOperation[];
}

/** Removes absorbed jobs once their operations are committed (best effort: a leftover is a replay). */
export async function removeAbsorbed(absorbed: Absorbed): Promise<void> {
  await Promise.allSettled(absorbed.jobs.map((job) => job.remove()));
}
