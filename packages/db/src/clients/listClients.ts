import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { CLIENT_SUMMARY_COLUMNS, type ClientSummary } from "./types.ts";

/**
 * Every client, revoked ones included, oldest first. No key hash, no webhook secret.
 *
 * ```sql
 * SELECT id, name, key_prefix, scopes, rate_limit, created_at, revoked_at FROM api_clients
 * ORDER BY created_at, id
 * ```
 *
 * @example
 * for (const client of await listClients(db)) console.log(client.id, client.keyPrefix);
 */
export async function listClients(db: Kysely<Database>): Promise<ClientSummary[]> {
  return db
    .selectFrom("api_clients")
    .select(CLIENT_SUMMARY_COLUMNS)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}
