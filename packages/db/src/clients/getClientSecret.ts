import type { Kysely } from "kysely";
import type { Database } from "../database.ts";

/**
 * The webhook signing secret (`whsec_...`) of client `clientId`, or undefined when there is no such
 * client. Returned for revoked clients too: operations accepted before the revocation still get
 * signed notifications, and whether to deliver them is the webhook worker's decision.
 *
 * ```sql
 * SELECT webhook_secret FROM api_clients WHERE id = $1
 * ```
 *
 * @example
 * const secret = await getClientSecret(db, job.data.clientId);
 * if (secret) headers["webhook-signature"] = sign(secret, id, timestamp, body);
 */
export async function getClientSecret(db: Kysely<Database>, clientId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("api_clients")
    .select("webhook_secret")
    .where("id", "=", clientId)
    .executeTakeFirst();
  return row?.webhook_secret;
}
