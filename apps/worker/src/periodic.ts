/** A task run on a timer, one run at a time; see {@link startPeriodic}. */
export interface Periodic<T> {
  /** Runs the task now, or joins the run in progress. */
  runNow(): Promise<T>;
  /** True once {@link close} was called: a long run can stop early. */
  readonly closed: boolean;
  /** Stops the timer and waits for a run in progress. */
  close(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs` (counted from the end of the previous run), never two at a time.
 * What a run returns goes to `onResult`; a run that fails goes to `onError` and the next tick tries
 * again. The timer does not keep the process alive.
 *
 * @example
 * const sweeper = startPeriodic(() => sweep(), { intervalMs: 10_000, onResult: log, onError: warn });
 * // on shutdown: await sweeper.close();
 */
export function startPeriodic<T>(
  task: () => Promise<T>,
  options: { intervalMs: number; onResult: (result: T) => void; onError: (error: unknown) => void },
): Periodic<T> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<T> | undefined;
  let closed = false;
  const runNow = () => {
    running ??= task().finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      runNow().then(options.onResult, options.onError).finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    runNow,
    get closed() {
      return closed;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
