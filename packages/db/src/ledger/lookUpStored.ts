import type { QueuedOperation, Rejection } from "@accounts/domain";
import type { PoolClient } from "pg";
import type { OperationRow } from "../database.ts";
import { findAppliedOperations } from "./findAppliedOperations.ts";
import type { OperationOutcome } from "./types.ts";

/**
 * Step 1 of a batch: the operations of the batch that are stored already (an earlier run of the same
 * job committed them), by id. Their acceptance times bound the search to the daily partitions that
 * can hold them (findAppliedOperations.ts).
 */
export async function lookUpStored(
  client: PoolClient,
  operations: readonly QueuedOperation[],
): Promise<Map<string, OperationRow>> {
  let from = operations[0]?.acceptedAt ?? Date.now();
  let to = from;
  for (const op of operations) {
    if (op.acceptedAt < from) from = op.acceptedAt;
    if (op.acceptedAt > to) to = op.acceptedAt;
  }
  const rows = await findAppliedOperations(
    client,
    operations.map((op) => op.id),
    new Date(from),
    new Date(to),
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** The operations not stored yet, each id once, in order (an id repeated in a batch applies once). */
export function uniqueFresh(
  operations: readonly QueuedOperation[],
  stored: ReadonlyMap<string, OperationRow>,
): QueuedOperation[] {
  const seen = new Set<string>();
  const fresh: QueuedOperation[] = [];
  for (const op of operations) {
    if (stored.has(op.id) || seen.has(op.id)) continue;
    seen.add(op.id);
    fresh.push(op);
  }
  return fresh;
}

/** The outcome of an operation applied before, from its stored row: a replay. */
export function storedOutcome(row: OperationRow): OperationOutcome {
  return {
    id: row.id,
    clientId: row.client_id,
    type: row.type,
    request: row.request,
    status: row.status,
    rejection: row.rejection as Rejection | null,
    balances: row.balances,
    acceptedAt: row.accepted_at,
    finishedAt: row.finished_at,
    replayed: true,
  };
}
