import type { Insertable, Kysely } from "kysely";
import type { Database, WebhookDeliveriesTable } from "../database.ts";

/** One attempt to deliver an operation's webhook, as recorded. */
export type NewDeliveryAttempt = Omit<Insertable<WebhookDeliveriesTable>, "id">;

/**
 * Records one delivery attempt (every attempt, whatever its outcome: docs/api.md lists them all).
 *
 * ```sql
 * INSERT INTO webhook_deliveries (operation_id, client_id, attempt, at, url, status_code, error, duration_ms)
 * VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
 * ```
 *
 * @example
 * await insertDeliveryAttempt(db, { operation_id: "op_01KB...", client_id: "c_1", attempt: 1, at: new Date(),
 *   url: "https://hooks.example.com/x", status_code: 204, error: null, duration_ms: 37 });
 */
export async function insertDeliveryAttempt(
  db: Kysely<Database>,
  attempt: NewDeliveryAttempt,
): Promise<void> {
  await db.insertInto("webhook_deliveries").values(attempt).execute();
}
