import { type Db, finalOperationOf, findOperation } from "@accounts/db";
import { finalView, isOperationId, type OperationView } from "@accounts/domain";
import { type OperationStateStore, readPendingState } from "@accounts/queue";

export interface ReadDeps {
  db: Db;
  states: OperationStateStore;
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
  const row = await findOperation(deps.db, id);
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
