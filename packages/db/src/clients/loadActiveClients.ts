import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { ACTIVE_CLIENT_COLUMNS, type ActiveClient } from "./types.ts";

/**
 * Every client that is not revoked, for the API's in-memory registry (reloaded every few seconds;
 * the table holds a handful of calling services, so a full read is cheap).
 *
 * ```sql
 * SELECT id, name, key_hash, key_prefix, scopes, rate_limit FROM api_clients WHERE revoked_at IS NULL
 * ```
 *
 * @example
 * const byHash = new Map((await loadActiveClients(db)).map((c) => [c.keyHash.toString("hex"), c]));
 */
export async function loadActiveClients(db: Kysely<Database>): Promise<ActiveClient[]> {
  return db.selectFrom("api_clients").select(ACTIVE_CLIENT_COLUMNS).where("revoked_at", "is", null).execute();
}
