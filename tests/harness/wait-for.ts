import { setTimeout as sleep } from "node:timers/promises";
import { scaledTimeout } from "./timeouts.ts";

export interface WaitForOptions {
  /** Give up after this long. Default 10 s scaled for the machine (well inside the test timeout). */
  timeoutMs?: number;
  /** Pause between two checks. Default 50 ms. */
  intervalMs?: number;
  /** What was awaited, for the failure message. */
  message?: string;
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

/**
 * Checks `condition` until it returns a truthy value, and returns that value. A check that
 * throws counts as "not yet"; its last error is in the timeout message. Use it instead of
 * sleeping and then asserting.
 *
 * @example
 * const row = await waitFor(() => findOperation(db, id), { message: "operation stored" });
 * await waitFor(async () => (await queue.getWaitingCount()) === 0, { timeoutMs: 5_000 });
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Truthy<Awaited<T>>> {
  const timeoutMs = options.timeoutMs ?? scaledTimeout(10_000);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as Truthy<Awaited<T>>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(options.intervalMs ?? 50);
  }
  const what = options.message ?? "condition";
  const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
  throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${cause}`, { cause: lastError });
}
