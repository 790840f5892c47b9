import type { Db, OperationOutcome } from "@accounts/db";
import { clearPendingStates, finishedChannel, type OperationStateStore } from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { publishCommitPositionInPlace } from "./commitPosition.ts";

/** Something to do once a batch is committed (webhook dispatch, metrics). Must not throw. */
export type CommitHook = (outcomes: readonly OperationOutcome[], partition: number) => Promise<void>;

/**
 * What follows a commit: the commit position is published first (commitPosition.ts; retried in
 * place until it succeeds, or the job is handed back when the worker stops), then the Redis records
 * of the now final operations are dropped (PostgreSQL answers for them), long polls are woken
 * through Pub/Sub, and the hooks run. Those three are best effort: the
 * operations are committed whatever happens here, and if Redis is down the job cannot complete
 * either, so it runs again, finds every operation applied, and repeats these steps.
 */
export async function afterCommit(
  outcomes: readonly OperationOutcome[],
  partition: number,
  deps: {
    states: OperationStateStore;
    log: Logger;
    hooks: readonly CommitHook[];
    db?: Db;
    stopping?: AbortSignal;
  },
): Promise<void> {
  // First, and not best effort: replica reads must be able to show what is reported next.
  if (deps.db) await publishCommitPositionInPlace(deps.db, deps.states, outcomes, partition, deps);
  const ids = [...new Set(outcomes.map((o) => o.id))];
  const results = await Promise.allSettled([
    clearPendingStates(deps.states, ids),
    deps.states.redis.publish(finishedChannel(deps.states.namespace), ids.join(",")),
    ...deps.hooks.map((hook) => hook(outcomes, partition)),
  ]);
  for (const result of results) {
    if (result.status === "rejected") {
      deps.log.warn({ err: result.reason, partition }, "post-commit step failed (operations are committed)");
    }
  }
}
