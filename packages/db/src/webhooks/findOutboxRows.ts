import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";
import { OUTBOX_COLUMNS, type OutboxRow } from "./outboxRow.ts";

/**
 * The outbox rows of these operations that are still there (their notification is owed).
 *
 * ```sql
 * SELECT operation_id, client_id, url, accepted_at, created_at FROM webhook_outbox
 * WHERE operation_id = ANY($1::text[])
 * ```
 *
 * @example
 * const owed = await findOutboxRows(db, ["op_01KB...", "op_01KC..."]);
 */
export async function findOutboxRows(
  db: Kysely<Database>,
  operationIds: readonly string[],
): Promise<OutboxRow[]> {
  if (operationIds.length === 0) return [];
  return db
    .selectFrom("webhook_outbox")
    .select(OUTBOX_COLUMNS)
    .where("operation_id", "=", sql<string>`ANY(${[...operationIds]}::text[])`)
    .execute();
}
