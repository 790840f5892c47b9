import type { Kysely, Selectable } from "kysely";
import type { Database, WebhookDeliveriesTable } from "../database.ts";

export type DeliveryAttemptRow = Pick<
  Selectable<WebhookDeliveriesTable>,
  "attempt" | "at" | "status_code" | "error" | "duration_ms"
>;

/**
 * The delivery attempts of an operation, oldest first (the caller checks who may see them).
 *
 * ```sql
 * SELECT attempt, at, status_code, error, duration_ms FROM webhook_deliveries
 * WHERE operation_id = $1 ORDER BY attempt, id
 * ```
 *
 * @example
 * await listDeliveries(db, "op_01KB...")
 * // [{ attempt: 1, at: Date, status_code: 500, error: null, duration_ms: 12 }, { attempt: 2, ..., status_code: 204 }]
 */
export async function listDeliveries(
  db: Kysely<Database>,
  operationId: string,
): Promise<DeliveryAttemptRow[]> {
  return db
    .selectFrom("webhook_deliveries")
    .select(["attempt", "at", "status_code", "error", "duration_ms"])
    .where("operation_id", "=", operationId)
    .orderBy("attempt")
    .orderBy("id")
    .execute();
}
