import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { CLIENT_SUMMARY_COLUMNS, type ClientSummary, type NewClient } from "./types.ts";

/**
 * Stores a new API client and returns it as operators see it. A key hash that already exists fails
 * with a unique violation (23505): two clients never share a key.
 *
 * ```sql
 * INSERT INTO api_clients (id, name, key_hash, key_prefix, scopes, webhook_secret, rate_limit)
 * VALUES ($1, $2, $3, $4, $5, $6, $7)
 * RETURNING id, name, key_prefix, scopes, rate_limit, created_at, revoked_at
 * ```
 *
 * @example
 * const { key, prefix } = generateApiKey();
 * const client = await insertClient(db, {
 *   id: newClientId(), name: "trading-engine", keyHash: hashApiKey(key), keyPrefix: prefix,
 *   scopes: ["operations:write", "operations:read"], webhookSecret: generateWebhookSecret(),
 * });
 */
export async function insertClient(db: Kysely<Database>, client: NewClient): Promise<ClientSummary> {
  return db
    .insertInto("api_clients")
    .values({
      id: client.id,
      name: client.name,
      key_hash: client.keyHash,
      key_prefix: client.keyPrefix,
      scopes: [...client.scopes],
      webhook_secret: client.webhookSecret,
      ...(client.rateLimit !== undefined ? { rate_limit: client.rateLimit } : {}),
    })
    .returning(CLIENT_SUMMARY_COLUMNS)
    .executeTakeFirstOrThrow();
}
