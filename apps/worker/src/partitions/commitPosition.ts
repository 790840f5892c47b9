import { type Db, lsnToHex16, poolOf, readWalInsertPosition } from "@accounts/db";
import { type OperationStateStore, raiseCommitPosition } from "@accounts/queue";

/**
 * Publishes the commit high-water mark (see packages/queue commitPosition.ts) after a batch
 * committed and before it is reported: the primary's WAL insert position now is at or past the
 * batch's commit record. The API reads from a replica only once it replayed past the mark. Throws
 * when it cannot publish: the job then runs again (finding its operations stored) instead of
 * reporting operations that a replica read might not show yet.
 */
export async function publishCommitPosition(db: Db, states: OperationStateStore): Promise<void> {
  const position = await readWalInsertPosition(poolOf(db));
  await raiseCommitPosition(states.redis, states.namespace, lsnToHex16(position));
}
