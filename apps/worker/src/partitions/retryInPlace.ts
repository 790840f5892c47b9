import type { Logger } from "@accounts/runtime";
import { StoppingError } from "./applyWithRetry.ts";
import { pause, retryDelayMs } from "./backoff.ts";

/**
 * Runs `step` until it succeeds: an outage of the database or Redis after a commit is waited out
 * in place, with backoff, because a failed job would leave its committed operations unreported. A
 * stopping worker hands the job back instead (StoppingError: it runs again, finds its operations
 * stored, and repeats the step). The first failure and every 20th are logged as `what`.
 */
export async function retryInPlace(
  step: () => Promise<unknown>,
  what: string,
  options: { log: Logger; partition: number; stopping?: AbortSignal | undefined },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await step();
      return;
    } catch (error) {
      if (options.stopping?.aborted) throw new StoppingError("worker stopping");
      if (attempt === 1 || attempt % 20 === 0) {
        options.log.warn({ err: error, partition: options.partition, attempt }, `${what}: retrying`);
      }
      await pause(retryDelayMs(attempt), options.stopping);
    }
  }
}
