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

/** How often the info line totalling the applied jobs is written (when any were applied). */
const APPLIED_SUMMARY_INTERVAL_MS = 60_000;

/**
 * The log of applied partition jobs: one `debug` line per job (partition, job id, counts, duration,
 * first and last operation id, so that an operation id found anywhere leads to its job), and at
 * `info` one line per interval totalling the jobs applied since the last one. At the default level
 * a busy worker thus writes one line a minute instead of hundreds a second; failures are logged on
 * their own (the consumer's `failed` event, the poison isolation).
 *
 * @example
 * const applied = new AppliedJobsLog(log);
 * applied.job(3, job, summary, 4.2); // debug "job applied"
 * applied.close(); // at shutdown: the last totals
 */
export class AppliedJobsLog {
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;
  #totals = emptyTotals();

  constructor(log: Logger, intervalMs = APPLIED_SUMMARY_INTERVAL_MS) {
    this.#log = log;
    this.#timer = setInterval(() => this.#summarize(), intervalMs);
    this.#timer.unref();
  }

  job(partition: number, job: Job, summary: ApplySummary, ms: number): void {
    const operations = (job.data as Partial<ApplyJob> | undefined)?.operations ?? [];
    this.#log.debug(
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
    const totals = this.#totals;
    totals.jobs += 1;
    totals.operations += summary.operations;
    totals.applied += summary.applied;
    totals.rejected += summary.rejected;
    totals.replayed += summary.replayed;
    totals.partitions.add(partition);
    totals.slowestMs = Math.max(totals.slowestMs, Math.round(ms));
  }

  /** Stops the timer and writes the totals not written yet. */
  close(): void {
    clearInterval(this.#timer);
    this.#summarize();
  }

  #summarize(): void {
    const { partitions, ...totals } = this.#totals;
    if (totals.jobs === 0) return;
    this.#totals = emptyTotals();
    this.#log.info({ ...totals, partitions: partitions.size }, "jobs applied since the last summary");
  }
}

function emptyTotals() {
  return {
    jobs: 0,
    operations: 0,
    applied: 0,
    rejected: 0,
    replayed: 0,
    partitions: new Set<number>(),
    slowestMs: 0,
  };
}

/**
 * Wraps a partition processor to log each applied job (see {@link AppliedJobsLog}) and report it to
 * `observer`. Failures are logged by the consumer's `failed` event.
 *
 * @example
 * new Worker(ref.name, observeApplyJob(createApplyProcessor(deps, p), p, appliedLog, metrics.jobs), options);
 */
export function observeApplyJob(
  processor: Processor,
  partition: number,
  log: AppliedJobsLog,
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
    log.job(partition, job, summary, ms);
    return summary;
  };
}
