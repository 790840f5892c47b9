import { type Kysely, sql } from "kysely";
import type { Database, OperationRow } from "../database.ts";

/**
 * The operations of `ids` that are already stored. The ids are ULIDs carrying their acceptance time,
 * and `accepted_at` bounds the search to the daily partitions that can hold them.
 *
 * ```sql
 * SELECT * FROM operations WHERE accepted_at BETWEEN $1 AND $2 AND id = ANY($3::text[])
 * ```
 */
export async function findAppliedOperations(
  db: Kysely<Database>,
  ids: readonly string[],
  acceptedFrom: Date,
  acceptedTo: Date,
): Promise<OperationRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<OperationRow>`
    SELECT * FROM operations
    WHERE accepted_at BETWEEN ${acceptedFrom} AND ${acceptedTo} AND id = ANY(${ids}::text[])
  `.execute(db);
  return rows;
}
