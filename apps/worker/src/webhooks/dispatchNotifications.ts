import {
  type Db,
  deleteOutboxRows,
  findOutboxRows,
  type OperationOutcome,
  type OutboxRow,
} from "@accounts/db";
import type { DeliverJob } from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import type { Queue } from "bullmq";
import { deliveryJobs, type OwedNotification } from "./webhookQueue.ts";

export interface NotifyDeps {
  db: Db;
  queue: Queue<DeliverJob>;
  log: Logger;
}

export function owedFromOutbox(row: OutboxRow): OwedNotification {
  return {
    operationId: row.operation_id,
    clientId: row.client_id,
    url: row.url,
    acceptedAt: row.accepted_at,
  };
}

/**
 * Queues one delivery job per notification, THEN deletes their outbox rows. In that order a crash in
 * between leaves rows that the sweeper queues again (a no-op while the job is kept: the job id is
 * the operation id); the reverse order could lose a notification.
 *
 * @example
 * await queueNotifications({ db, queue, log }, [{ operationId, clientId, url, acceptedAt }]) // 1
 */
export async function queueNotifications(
  deps: Pick<NotifyDeps, "db" | "queue">,
  owed: readonly OwedNotification[],
): Promise<number> {
  if (owed.length === 0) return 0;
  await deps.queue.addBulk(deliveryJobs(owed));
  await deleteOutboxRows(
    deps.db,
    owed.map((n) => n.operationId),
  );
  return owed.length;
}

function callbackUrlOf(outcome: OperationOutcome): string | undefined {
  const url = outcome.request.callbackUrl;
  return typeof url === "string" ? url : undefined;
}

/**
 * Called by the partition consumer right after a batch committed: queues the webhook deliveries of
 * the batch's operations that asked for one (pass every outcome; the others are skipped).
 *
 * - A fresh outcome's outbox row was written by the same commit, so it is queued straight away.
 * - A replayed outcome (an earlier run of the job committed it) is queued only if its outbox row is
 *   still there: the earlier run died before queuing it. Otherwise it was queued already, and its
 *   job may be gone (delivered and trimmed), so queuing it again would deliver it twice.
 *
 * Never throws: the operations are committed whatever happens here, and a notification that could
 * not be queued (Redis away) stays in the outbox, where the sweeper finds it.
 *
 * @example
 * const hooks = [(outcomes) => dispatchNotifications({ db, queue: webhooks.queue, log }, outcomes)];
 */
export async function dispatchNotifications(
  deps: NotifyDeps,
  outcomes: readonly OperationOutcome[],
): Promise<void> {
  const owed = new Map<string, OwedNotification>();
  const replayed = new Set<string>();
  for (const outcome of outcomes) {
    const url = callbackUrlOf(outcome);
    if (url === undefined || owed.has(outcome.id)) continue;
    if (outcome.replayed) {
      replayed.add(outcome.id);
      continue;
    }
    owed.set(outcome.id, {
      operationId: outcome.id,
      clientId: outcome.clientId,
      url,
      acceptedAt: outcome.acceptedAt,
    });
  }
  try {
    if (replayed.size > 0) {
      for (const row of await findOutboxRows(deps.db, [...replayed]))
        owed.set(row.operation_id, owedFromOutbox(row));
    }
    await queueNotifications(deps, [...owed.values()]);
  } catch (error) {
    deps.log.warn(
      { err: error, operations: owed.size },
      "webhook notifications not queued yet; the outbox sweeper will queue them",
    );
  }
}
