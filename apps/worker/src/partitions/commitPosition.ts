import { type Db, lsnToHex16, type OperationOutcome, poolOf, readWalInsertPosition } from "@accounts/db";
import { accountScope, type OperationStateStore, operationScope, raiseCommitPosition } from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { retryInPlace } from "./retryInPlace.ts";

/**
 * Publishes the commit high-water marks (see packages/queue commitPosition.ts) after a batch
 * committed and before it is reported: the primary's WAL insert position now is at or past the
 * batch's commit record; it becomes the mark of the batch's partition (its operations' final state)
 * and of every account it changed. The API reads from a replica only once it replayed past the mark
 * of what it reads. Throws when it cannot publish: the job then runs again (finding its operations
 * stored) instead of reporting operations that a replica read might not show yet.
 */
export async function publishCommitPosition(
  db: Db,
  states: OperationStateStore,
  outcomes: readonly OperationOutcome[],
  partition: number,
): Promise<void> {
  const scopes = new Set([operationScope(partition)]);
  for (const outcome of outcomes) {
    for (const balance of outcome.balances ?? []) scopes.add(accountScope(balance.userId));
  }
  const position = await readWalInsertPosition(poolOf(db));
  await raiseCommitPosition(states.redis, states.namespace, lsnToHex16(position), [...scopes]);
}

/**
 * {@link publishCommitPosition} until it succeeds (retryInPlace.ts): a failed job would leave its
 * operations unreported, and a stopping worker hands the job back.
 */
export async function publishCommitPositionInPlace(
  db: Db,
  states: OperationStateStore,
  outcomes: readonly OperationOutcome[],
  partition: number,
  options: { log: Logger; stopping?: AbortSignal | undefined },
): Promise<void> {
  await retryInPlace(
    () => publishCommitPosition(db, states, outcomes, partition),
    "cannot publish the commit position yet",
    { ...options, partition },
  );
}
