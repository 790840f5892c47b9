import type { PoolClient } from "pg";
import type { OperationRow } from "../database.ts";

/**
 * The operations of `ids` that are already stored. The ids are ULIDs carrying their acceptance time,
 * and `accepted_at` bounds the search to the daily partitions that can hold them.
 *
 * ```sql
 * SELECT * FROM operations WHERE accepted_at BETWEEN $1 AND $2 AND id = ANY($3::text[])
 * ```
 */
export async function findAppliedOperations(
  client: PoolClient,
  ids: readonly string[],
  acceptedFrom: Date,
  acceptedTo: Date,
): Promise<OperationRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await client.query<OperationRow>({
    name: "ledger-find-applied",
    text: "SELECT * FROM operations WHERE accepted_at BETWEEN $1 AND $2 AND id = ANY($3::text[])",
    values: [acceptedFrom, acceptedTo, ids],
  });
  return rows;
}
