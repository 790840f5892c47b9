import type { ApplyJob } from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { DelayedError, type Job, RateLimitError, WaitingError } from "bullmq";
import type { ApplySummary } from "./applyJob.ts";

/** Told about every partition job this worker finishes (metrics). */
export interface JobObserver {
  applied(summary: ApplySummary, seconds: number): void;
  /** The job failed (an operator retries it from the dashboard). */
  failed(): void;
}

type Processor = (job: Job, token?: string) => Promise<ApplySummary>;

/** Errors by which a processor hands its job back to the queue: not failures. */
function handsBack(error: unknown): boolean {
  return error instanceof WaitingError || error instanceof RateLimitError || error instanceof DelayedError;
}

/**
 * Wraps a partition processor to write one log line per applied job (partition, job id, counts,
 * duration, first and last operation id, so that an operation id found anywhere leads to its job)
 * and to report it to `observer`. Failures are logged by the consumer's `failed` event.
 *
 * @example
 * new Worker(ref.name, observeApplyJob(createApplyProcessor(deps, p), p, log, metrics.jobs), options);
 */
export function observeApplyJob(
  processor: Processor,
  partition: number,
  log: Logger,
  observer?: JobObserver,
): Processor {
  return async (job, token) => {
    const started = performance.now();
    let summary: ApplySummary;
    try {
      summary = await processor(job, token);
    } catch (error) {
      if (!handsBack(error)) observer?.failed();
      throw error;
    }
    const ms = performance.now() - started;
    observer?.applied(summary, ms / 1000);
    const operations = (job.data as Partial<ApplyJob> | undefined)?.operations ?? [];
    log.info(
      {
        partition,
        jobId: job.id,
        attempt: job.attemptsStarted,
        operations: summary.operations,
        applied: summary.applied,
        rejected: summary.rejected,
        replayed: summary.replayed,
        ms: Math.round(ms * 100) / 100,
        firstOperationId: operations[0]?.id,
        lastOperationId: operations[operations.length - 1]?.id,
      },
      "job applied",
    );
    return summary;
  };
}
