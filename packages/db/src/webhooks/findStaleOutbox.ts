import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { OUTBOX_COLUMNS, type OutboxRow } from "./outboxRow.ts";

/**
 * Outbox rows written before `olderThan`, oldest first: notifications whose worker died between
 * committing and queuing them (the dispatcher deletes a row right after queuing it).
 *
 * ```sql
 * SELECT operation_id, client_id, url, accepted_at, created_at FROM webhook_outbox
 * WHERE created_at < $1 ORDER BY created_at LIMIT $2
 * ```
 *
 * @example
 * const stale = await findStaleOutbox(db, new Date(Date.now() - 30_000), 500);
 */
export async function findStaleOutbox(
  db: Kysely<Database>,
  olderThan: Date,
  limit: number,
): Promise<OutboxRow[]> {
  return db
    .selectFrom("webhook_outbox")
    .select(OUTBOX_COLUMNS)
    .where("created_at", "<", olderThan)
    .orderBy("created_at")
    .limit(limit)
    .execute();
}
