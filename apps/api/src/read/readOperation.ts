import { type Db, finalOperationOf, findOperation, type ReplicaReads } from "@accounts/db";
import { finalView, isOperationId, type OperationView, partitionOfOperationId } from "@accounts/domain";
import { accountScope, type OperationStateStore, operationScope, readPendingState } from "@accounts/queue";

export interface ReadDeps {
  db: Db;
  states: OperationStateStore;
  /** Where final operations are read (a replica when recent enough); `db` when absent. */
  reads?: ReplicaReads;
}

/**
 * The current representation of operation `id` as client `clientId` may see it, or null (unknown,
 * malformed, never stored, or another client's: all look the same to the caller, a 404).
 *
 * Redis is read before PostgreSQL: a worker drops the Redis record only after its commit, so reading
 * in this order can never miss an operation that is between the two.
 */
export async function readOperation(
  deps: ReadDeps,
  id: string,
  clientId: string,
): Promise<{ view: OperationView; final: boolean } | null> {
  if (!isOperationId(id)) return null;
  const pending = await readPendingState(deps.states, id);
  const row = await findFinalOperation(deps, id, pending !== null);
  if (row) return row.client_id === clientId ? { view: finalView(finalOperationOf(row)), final: true } : null;
  if (!pending || pending.clientId !== clientId) return null;
  return {
    final: false,
    view: {
      id,
      type: pending.type,
      status: pending.state,
      acceptedAt: new Date(pending.acceptedAt).toISOString(),
      ...(pending.state === "failed" ? { problem: { code: "apply_failed", detail: pending.problem } } : {}),
    },
  };
}

/**
 * The operation's row, from a replica that replayed past the commit high-water mark or else from
 * the primary. Read on the primary while its pending record still exists (the worker committed but
 * has not reported the batch yet, so it may not have published its commit position either), a
 * final row raises the mark first: a later replica read cannot then show less than this answer.
 */
async function findFinalOperation(deps: ReadDeps, id: string, pendingInRedis: boolean) {
  const reads = deps.reads;
  if (!reads) return findOperation(deps.db, id);
  const scope = operationScope(partitionOfOperationId(id));
  return reads.read(scope, async (db, target) => {
    const row = await findOperation(db, id);
    if (row && target === "primary" && pendingInRedis) {
      // The operation and the accounts it changed, as the worker is about to publish them.
      await reads.markPrimaryRead([
        scope,
        ...(row.balances ?? []).map((balance) => accountScope(balance.userId)),
      ]);
    }
    return row;
  });
}
