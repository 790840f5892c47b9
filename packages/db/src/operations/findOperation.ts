import { type FinalOperation, operationIdTime, type Rejection } from "@accounts/domain";
import type { Kysely } from "kysely";
import type { Database, OperationRow } from "../database.ts";

/**
 * The stored (final) operation `id`, or undefined. The id's ULID time is its `accepted_at`, so the
 * lookup touches one daily partition and one index entry.
 *
 * ```sql
 * SELECT * FROM operations WHERE id = $1 AND accepted_at = $2
 * ```
 */
export async function findOperation(db: Kysely<Database>, id: string): Promise<OperationRow | undefined> {
  return db
    .selectFrom("operations")
    .selectAll()
    .where("id", "=", id)
    .where("accepted_at", "=", new Date(operationIdTime(id)))
    .executeTakeFirst();
}

/** A stored row in the shape `finalView` (the representation) takes. */
export function finalOperationOf(row: OperationRow): FinalOperation {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    request: row.request,
    rejection: row.rejection as Rejection | null,
    balances: row.balances,
    acceptedAt: row.accepted_at,
    finishedAt: row.finished_at,
  };
}
