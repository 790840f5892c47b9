import { findStaleOutbox, tryLockOutboxSweep } from "@accounts/db";
import { type Periodic, startPeriodic } from "../periodic.ts";
import { type NotifyDeps, owedFromOutbox, queueNotifications } from "./dispatchNotifications.ts";

export interface OutboxSweepOptions {
  /** Rows older than this are owed notifications whose worker died before queuing them. */
  staleAfterMs: number;
  /** Rows queued per transaction. */
  batchSize?: number;
}

/**
 * Queues the stale outbox rows (oldest first, one batch), then deletes them, in one transaction that
 * holds the sweep's advisory lock: with several workers, one sweeps while the others skip. Returns
 * how many rows it queued (0 when another worker holds the lock).
 *
 * @example
 * await sweepOutbox({ db, queue, log }, { staleAfterMs: 30_000 }) // 3
 */
export async function sweepOutbox(deps: NotifyDeps, options: OutboxSweepOptions): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    if (!(await tryLockOutboxSweep(trx))) return 0;
    const olderThan = new Date(Date.now() - options.staleAfterMs);
    const rows = await findStaleOutbox(trx, olderThan, options.batchSize ?? 500);
    return queueNotifications({ db: trx, queue: deps.queue }, rows.map(owedFromOutbox));
  });
}

export interface OutboxSweeper {
  /** Sweeps until no stale row is left (or another worker holds the lock); returns rows queued. */
  sweepNow(): Promise<number>;
  /** Stops the timer and waits for a sweep in progress. */
  close(): Promise<void>;
}

/**
 * Every `intervalMs`, queues the notifications that a worker committed but died before queuing (see
 * `dispatchNotifications`). Safe to run in every worker process. A failing sweep (database or Redis
 * away) is logged and tried again at the next tick.
 *
 * @example
 * const sweeper = startOutboxSweeper({ db, queue: webhooks.queue, log }, { intervalMs: 10_000, staleAfterMs: 30_000 });
 * // on shutdown: await sweeper.close();
 */
export function startOutboxSweeper(
  deps: NotifyDeps,
  options: OutboxSweepOptions & { intervalMs: number },
): OutboxSweeper {
  const batchSize = options.batchSize ?? 500;
  const periodic: Periodic<number> = startPeriodic(
    async () => {
      let total = 0;
      for (;;) {
        const queued = await sweepOutbox(deps, { ...options, batchSize });
        total += queued;
        if (queued < batchSize || periodic.closed) return total;
      }
    },
    {
      intervalMs: options.intervalMs,
      onResult: (queued) => {
        if (queued > 0) deps.log.warn({ queued }, "outbox sweeper queued notifications a worker had left");
      },
      onError: (error) => deps.log.warn({ err: error }, "outbox sweep failed; retried at the next tick"),
    },
  );
  return { sweepNow: periodic.runNow, close: periodic.close };
}
