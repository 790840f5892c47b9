import type { ClientBase } from "pg";

/**
 * A commit whose wait for the synchronous standby was cancelled (a statement timeout, a cancel
 * request, a shutdown) is committed on the primary but maybe not on any standby: PostgreSQL says so
 * only in a WARNING notice ("canceling wait for synchronous replication ... The transaction has
 * already committed locally, but might not have been replicated to the standby"), and the COMMIT
 * itself succeeds. A failover then would lose it. Such a commit must never count as done: the
 * ledger throws {@link UnreplicatedCommitError} (retryable), the batch runs again, finds its
 * operations stored and waits for the standby once more (see applyOperationBatch.ts).
 */
export class UnreplicatedCommitError extends Error {
  override readonly name = "UnreplicatedCommitError";
  constructor() {
    super(
      "the commit's wait for the synchronous standby was cancelled: committed locally, maybe not replicated",
    );
  }
}

const UNREPLICATED = Symbol("unreplicated commit");
type Watched = ClientBase & { [UNREPLICATED]?: boolean };

/** Notices of a cancelled synchronous-replication wait (the message as PostgreSQL words it, in English). */
export function isCancelledReplicationWait(notice: { message?: string; detail?: string }): boolean {
  const text = `${notice.message ?? ""} ${notice.detail ?? ""}`;
  return /wait for synchronous replication/i.test(text) || /might not have been replicated/i.test(text);
}

/** Remembers on `client` a notice that a synchronous-replication wait was cancelled. */
export function watchReplicationNotices(client: ClientBase): void {
  client.on("notice", (notice) => {
    if (isCancelledReplicationWait(notice)) (client as Watched)[UNREPLICATED] = true;
  });
}

/**
 * Throws {@link UnreplicatedCommitError} when, since the last call, `client` was told that a
 * commit's synchronous-replication wait was cancelled. Call it right after COMMIT returned: the
 * notice arrives before the COMMIT's result.
 */
export function assertCommitReplicated(client: ClientBase): void {
  const watched = client as Watched;
  if (!watched[UNREPLICATED]) return;
  watched[UNREPLICATED] = false;
  throw new UnreplicatedCommitError();
}

/** Clears a remembered notice (before a transaction starts). */
export function forgetReplicationNotices(client: ClientBase): void {
  (client as Watched)[UNREPLICATED] = false;
}
