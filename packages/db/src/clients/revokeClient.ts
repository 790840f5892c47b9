import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/**
 * Revokes client `id` now. True when this call revoked it; false when no such client exists or it
 * was already revoked (the first revocation time is kept). The row stays: operations, deliveries
 * and audit rows keep pointing at it. API instances stop accepting the key at their next registry
 * refresh (`CLIENT_REFRESH_SECONDS`).
 *
 * ```sql
 * UPDATE api_clients SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id
 * ```
 *
 * @example
 * if (!(await revokeClient(db, "cl_01KB..."))) console.error("no active client with that id");
 */
export async function revokeClient(db: Kysely<Database>, id: string): Promise<boolean> {
  const row = await db
    .updateTable("api_clients")
    .set({ revoked_at: sql<Date>`now()` })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}
