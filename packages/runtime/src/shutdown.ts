import type { Logger } from "pino";

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits 0 (or 1 when stopping failed). A
 * second signal while stopping (more than a second after the first) exits at once: an operator
 * pressing Ctrl-C twice means it.
 *
 * @example
 * onShutdown(log, async () => { await worker.close(); await pool.end(); });
 */
/** A second signal within this long of the first is the same Ctrl-C delivered twice. */
const SAME_SIGNAL_MS = 1000;

export function onShutdown(log: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  let stoppingSince = 0;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      // One Ctrl-C can arrive twice (from the terminal and forwarded by npm): not a second press.
      if (Date.now() - stoppingSince <= SAME_SIGNAL_MS) return;
      log.warn({ signal }, "second signal while stopping: exiting now");
      process.exit(1);
    }
    stopping = true;
    stoppingSince = Date.now();
    log.info({ signal }, "stopping");
    stop(signal).then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "stopping failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
}
