import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/**
 * Forgets the notifications of these operations: call it only AFTER their delivery jobs are queued
 * (queued with the operation id as job id, so queuing twice is harmless). A crash between the two
 * leaves the rows for the sweeper; the reverse order could lose a notification.
 *
 * ```sql
 * DELETE FROM webhook_outbox WHERE operation_id = ANY($1::text[])
 * ```
 *
 * @example
 * await deleteOutboxRows(db, ["op_01KB...", "op_01KC..."]) // 2
 */
export async function deleteOutboxRows(
  db: Kysely<Database>,
  operationIds: readonly string[],
): Promise<number> {
  if (operationIds.length === 0) return 0;
  const result = await db
    .deleteFrom("webhook_outbox")
    .where("operation_id", "=", sql<string>`ANY(${[...operationIds]}::text[])`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
