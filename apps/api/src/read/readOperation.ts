import { type Db, finalOperationOf, findOperation, type ReplicaReads } from "@accounts/db";
import { finalView, isOperationId, type OperationView, partitionOfOperationId } from "@accounts/domain";
import { type OperationStateStore, operationScope, readPendingState } from "@accounts/queue";

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
 *
 * An operation is reported final only once its pending record is gone. A row in PostgreSQL while the
 * record still exists is committed, but its worker has not yet seen the commit return, and with a
 * synchronous standby that return is the standby's confirmation: PostgreSQL makes a commit visible
 * on the primary before its wait for the standby ends, so reporting it from the row alone could
 * report an operation that a failover then loses (the fault suite's primary-loss runs found reads
 * going back in time that way). Until then it reads as `accepted`.
 */
export async function readOperation(
  deps: ReadDeps,
  id: string,
  clientId: string,
): Promise<{ view: OperationView; final: boolean } | null> {
  if (!isOperationId(id)) return null;
  const pending = await readPendingState(deps.states, id);
  const row = await findFinalOperation(deps, id);
  if (row && row.client_id !== clientId) return null;
  if (row && pending?.state !== "accepted") return { view: finalView(finalOperationOf(row)), final: true };
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
 * The operation's row, from a replica that replayed past the commit high-water mark of its
 * partition, or else from the primary.
 */
async function findFinalOperation(deps: ReadDeps, id: string) {
  const reads = deps.reads;
  if (!reads) return findOperation(deps.db, id);
  return reads.read(operationScope(partitionOfOperationId(id)), (db) => findOperation(db, id));
}
