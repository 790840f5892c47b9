import {
  allPartitionQueues,
  type Catalog,
  closeSettled,
  createRedis,
  isRedisUnavailableError,
  type RedisConfig,
} from "@accounts/queue";
import { type Logger, ThrottledLog } from "@accounts/runtime";
import { Queue, Worker } from "bullmq";
import { type AbsorbLimits, absorbWaiting } from "./absorbWaiting.ts";
import { type ApplyJobDeps, createApplyProcessor } from "./applyJob.ts";
import { AppliedJobsLog, type JobObserver, observeApplyJob } from "./observeJob.ts";

/** How often a consumer error of one kind is logged while it repeats (see ThrottledLog). */
const CONSUMER_ERROR_LOG_INTERVAL_MS = 30_000;

export interface PartitionConsumers {
  readonly workers: readonly Worker[];
  /** Stops taking jobs, finishes (or hands back) the active ones, closes connections. */
  close(): Promise<void>;
}

/**
 * One BullMQ consumer per partition queue, each with at most ONE active job across all worker
 * processes: the queue's global concurrency is 1, and each consumer here runs one job at a time.
 * Several worker processes share the partitions: whichever is free takes the next job of a
 * partition, but never while another holds one. That serial application is the per-account order.
 *
 * A consumer never fails a job for stalling (`maxStalledCount` is effectively unlimited): a job
 * stalls when a worker dies or loses Redis, and it is then simply run again (applied ids are skipped).
 */
export async function startPartitionConsumers(
  deps: Omit<ApplyJobDeps, "stopping"> & {
    catalog: Catalog;
    redis: RedisConfig;
    log: Logger;
    lockDurationMs?: number;
    /** Told about every finished job (metrics). */
    jobs?: JobObserver;
    /** Waiting jobs applied together with the active one (0 jobs: never). */
    absorbLimits?: AbsorbLimits;
  },
): Promise<PartitionConsumers> {
  const abort = new AbortController();
  const connection = createRedis(deps.redis, "consumer", deps.log);
  const queues = allPartitionQueues(deps.catalog);
  const workers: Worker[] = [];
  const openQueues: Queue[] = [];
  const limits = deps.absorbLimits ?? { maxJobs: 100, maxOperations: 2000 };
  const lockMs = deps.lockDurationMs ?? 10_000;
  const appliedLog = new AppliedJobsLog(deps.log);
  // Every consumer of the process reports to one throttle: in a Redis outage each of them fails
  // about once a second (runRetryDelay), which logged ~450 lines per worker in one run.
  const errors = new ThrottledLog(deps.log, { intervalMs: CONSUMER_ERROR_LOG_INTERVAL_MS });
  for (const [partition, ref] of queues.entries()) {
    const queue = new Queue(ref.name, { connection, prefix: ref.prefix });
    await queue.setGlobalConcurrency(1);
    openQueues.push(queue);
    const absorb = (alreadyTaken: number) => absorbWaiting(queue, alreadyTaken, limits);
    const worker = new Worker(
      ref.name,
      observeApplyJob(
        createApplyProcessor({ ...deps, stopping: abort.signal, absorb }, partition),
        partition,
        appliedLog,
        deps.jobs,
      ),
      {
        connection,
        prefix: ref.prefix,
        concurrency: 1,
        lockDuration: lockMs,
        // A job whose worker died, or whose fetch reply was lost with a Redis node, holds its
        // partition (global concurrency 1) until a stalled check finds its lock gone: a check runs
        // every stalledInterval and needs two passes (mark, then move). With BullMQ's fixed 30 s the
        // partition stood still for up to a minute after the lock had expired (tests/faults,
        // tests/cluster). Checking every half lock bounds the wait by about 1.5 lock durations; a
        // live worker renews its lock every half duration and is never taken for stalled.
        stalledInterval: Math.ceil(lockMs / 2),
        maxStalledCount: 1_000_000,
        // When fetching or finishing a job fails (Redis restarting, a cluster master loading its AOF),
        // BullMQ tries again after runRetryDelay: its 15 s default held a partition still for 15 s or
        // more after Redis was back (tests/cluster). One second keeps a partition's pause close to the
        // outage itself without spinning while Redis is down.
        runRetryDelay: 1_000,
        autorun: true,
      },
    );
    worker.on("failed", (job, error) => {
      deps.log.error({ partition, jobId: job?.id, err: error }, "partition job failed");
    });
    worker.on("error", (error) => {
      if (isRedisUnavailableError(error)) {
        errors.warn(
          "redis-unavailable",
          { partition, err: error },
          "partition consumers cannot reach Redis: applying waits, and resumes on its own when Redis is back",
        );
      } else {
        errors.error(`error:${error.message}`, { partition, err: error }, "partition consumer error");
      }
    });
    workers.push(worker);
  }
  return {
    workers,
    async close() {
      // Jobs waiting for the database give their job back at once instead of waiting for it.
      abort.abort();
      await Promise.all(workers.map((worker) => closeSettled(worker)));
      await Promise.all(openQueues.map((queue) => closeSettled(queue)));
      connection.disconnect();
      appliedLog.close();
      errors.flush();
    },
  };
}
