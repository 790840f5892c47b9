import {
  applyOperationBatch,
  type BatchInput,
  type Db,
  ensureTimePartitions,
  isMissingPartitionError,
  isRetryableDatabaseError,
  type OperationOutcome,
} from "@accounts/db";
import type { Logger } from "@accounts/runtime";
import { pause, retryDelayMs } from "./backoff.ts";

/** Thrown when the worker is stopping while a batch waits for the database to come back. */
export class StoppingError extends Error {
  override readonly name = "StoppingError";
}

/** Thrown when a batch failed for a reason retries did not cure (a bug or corrupt data). */
export class PoisonBatchError extends Error {
  override readonly name = "PoisonBatchError";
}

export interface RetryOptions {
  log: Logger;
  /** Aborted when the worker stops: the batch is handed back instead of retried here. */
  stopping: AbortSignal;
  /** Retries of a non-transient failure before the batch is declared poison. */
  nonTransientRetries: number;
  /** Called on each transient failure (for metrics). */
  onTransientFailure?: (error: unknown) => void;
  /** How far ahead to create time partitions when a write finds its own missing (the configured horizon). */
  partitionsAhead: { daysAhead: number; monthsAhead: number };
}

/**
 * Applies a batch, retrying in place until it succeeds: the job stays active, so no later job of the
 * partition can overtake it (per-account order). See {@link retryInPlace} for what is retried how.
 */
export function applyWithRetry(
  db: Db,
  input: BatchInput,
  options: RetryOptions,
): Promise<OperationOutcome[]> {
  return retryInPlace(db, input.partition, () => applyOperationBatch(db, input), options);
}

/**
 * Runs `work` (a read or write of a partition's batch) until it succeeds. Transient failures
 * (database down, deadlock, serialization, a concurrent writer) are retried for as long as they
 * last; a missing time partition is created (as far ahead as configured) and retried; anything else
 * is retried a few times and then thrown as {@link PoisonBatchError}. An outage never turns
 * operations into rejections, nor a job into a failed one.
 *
 * @example
 * const scales = await retryInPlace(db, 3, () => currencies.scalesFor(["BTC"]), options);
 */
export async function retryInPlace<T>(
  db: Db,
  partition: number,
  work: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  let transient = 0;
  let other = 0;
  for (;;) {
    if (options.stopping.aborted) throw new StoppingError("worker stopping");
    try {
      return await work();
    } catch (error) {
      if (isMissingPartitionError(error)) {
        options.log.warn({ err: error }, "time partition missing: creating the coming partitions now");
        await ensureTimePartitions(db, { ...options.partitionsAhead, from: new Date() }).catch(() => {});
        continue;
      }
      if (isRetryableDatabaseError(error)) {
        transient += 1;
        options.onTransientFailure?.(error);
        const delay = retryDelayMs(transient);
        if (transient === 1 || transient % 20 === 0) {
          options.log.warn(
            { err: error, partition, attempt: transient, delayMs: delay },
            "transient failure applying a batch: retrying in place",
          );
        }
        await pause(delay, options.stopping);
        continue;
      }
      other += 1;
      if (other > options.nonTransientRetries) {
        throw new PoisonBatchError(error instanceof Error ? error.message : String(error), { cause: error });
      }
      options.log.error({ err: error, partition, attempt: other }, "batch failed: retrying");
      await pause(retryDelayMs(other, 200, 2000), options.stopping);
    }
  }
}
