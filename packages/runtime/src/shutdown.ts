import type { Logger } from "pino";

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits 0 (or 1 when stopping failed). A
 * second signal while stopping exits at once: an operator pressing Ctrl-C twice means it.
 *
 * @example
 * onShutdown(log, async () => { await worker.close(); await pool.end(); });
 */
export function onShutdown(log: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal while stopping: exiting now");
      process.exit(1);
    }
    stopping = true;
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
