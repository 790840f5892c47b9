import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { ACTIVE_CLIENT_COLUMNS, type ActiveClient } from "./types.ts";

/**
 * The client that is not revoked and holds the key whose sha256 is `keyHash`, or undefined. The
 * API authenticates from its in-memory registry instead; this is for tools and tests.
 *
 * ```sql
 * SELECT id, name, key_hash, key_prefix, scopes, rate_limit FROM api_clients
 * WHERE key_hash = $1 AND revoked_at IS NULL
 * ```
 *
 * @example
 * const client = await findActiveClientByKeyHash(db, hashApiKey(key));
 */
export async function findActiveClientByKeyHash(
  db: Kysely<Database>,
  keyHash: Buffer,
): Promise<ActiveClient | undefined> {
  return db
    .selectFrom("api_clients")
    .select(ACTIVE_CLIENT_COLUMNS)
    .where("key_hash", "=", keyHash)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
}
