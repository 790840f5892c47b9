import type { Db, OperationOutcome } from "@accounts/db";
import { clearPendingStates, finishedChannel, type OperationStateStore } from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { publishCommitPositionInPlace } from "./commitPosition.ts";
import { retryInPlace } from "./retryInPlace.ts";

/** Something to do once a batch is committed (webhook dispatch, metrics). Must not throw. */
export type CommitHook = (outcomes: readonly OperationOutcome[], partition: number) => Promise<void>;

/**
 * What follows a commit, in order:
 * 1. the commit position is published (commitPosition.ts), so replica reads can show what is
 *    reported next;
 * 2. the Redis records of the now final operations are dropped: a poll reports an operation final
 *    only once its record is gone (apps/api/src/read/readOperation.ts: with a synchronous standby, a
 *    commit is visible on the primary before the standby confirmed it, and only its return here
 *    says it did);
 * 3. long polls are woken through Pub/Sub and the hooks run.
 * The first two are retried in place until they succeed (retryInPlace.ts; a stopping worker hands
 * the job back, which runs again, finds every operation applied and repeats them). The third is
 * best effort: the operations are committed and reported whatever happens there (a long poll also
 * re-reads on its own).
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
  const options = { log: deps.log, partition, stopping: deps.stopping };
  if (deps.db) await publishCommitPositionInPlace(deps.db, deps.states, outcomes, partition, deps);
  const ids = [...new Set(outcomes.map((o) => o.id))];
  await retryInPlace(
    () => clearPendingStates(deps.states, ids),
    "cannot drop the pending records of committed operations yet",
    options,
  );
  const results = await Promise.allSettled([
    deps.states.redis.publish(finishedChannel(deps.states.namespace), ids.join(",")),
    ...deps.hooks.map((hook) => hook(outcomes, partition)),
  ]);
  for (const result of results) {
    if (result.status === "rejected") {
      deps.log.warn({ err: result.reason, partition }, "post-commit step failed (operations are committed)");
    }
  }
}
