import {
  apiKeyPrefix,
  generateWebhookSecret,
  hashApiKey,
  looksLikeApiKey,
  newClientId,
  SCOPES,
} from "@accounts/domain";
import type { Kysely } from "kysely";
import { insertAuditEvents } from "../audit/insertAuditEvents.ts";
import type { Database } from "../database.ts";

export interface BootstrapResult {
  /** True when this call created the client; false when a client already held the key. */
  created: boolean;
  clientId: string;
  /** True when the client holding the key was revoked (an operator's decision: it stays revoked). */
  revoked: boolean;
}

/**
 * Makes sure a client holding exactly `key` exists: when none does, creates one named `bootstrap`
 * with every scope and a fresh webhook secret, and audits it (`client.created`, actor `bootstrap`).
 * For local stacks and tests started with `BOOTSTRAP_API_KEY`.
 *
 * Idempotent, and safe when several processes run it at once: `key_hash` is unique, and
 * `ON CONFLICT DO NOTHING` turns the loser's insert into a no-op instead of a 23505 error. A revoked
 * bootstrap client is left revoked.
 *
 * ```sql
 * INSERT INTO api_clients (id, name, key_hash, key_prefix, scopes, webhook_secret)
 * VALUES ($1, 'bootstrap', $2, $3, $4, $5) ON CONFLICT (key_hash) DO NOTHING RETURNING id;
 * -- when nothing was inserted:
 * SELECT id, revoked_at FROM api_clients WHERE key_hash = $1;
 * ```
 *
 * @example
 * if (config.BOOTSTRAP_API_KEY) await ensureBootstrapClient(db, config.BOOTSTRAP_API_KEY);
 */
export async function ensureBootstrapClient(db: Kysely<Database>, key: string): Promise<BootstrapResult> {
  const keyPrefix = apiKeyPrefix(key);
  if (!looksLikeApiKey(key) || keyPrefix === undefined) {
    // The key itself is not in the message: it may be a real secret with a typo.
    throw new Error(
      "BOOTSTRAP_API_KEY does not look like an API key: expected ak_<16 of 0-9 and a-z without i, l, o, u>_<32 to 128 of A-Z a-z 0-9 _ ->, " +
        "for example ak_10ca1dev00000000_local-development-key-not-for-production",
    );
  }
  const keyHash = hashApiKey(key);
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("api_clients")
      .values({
        id: newClientId(),
        name: "bootstrap",
        key_hash: keyHash,
        key_prefix: keyPrefix,
        scopes: [...SCOPES],
        webhook_secret: generateWebhookSecret(),
      })
      .onConflict((conflict) => conflict.column("key_hash").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted) {
      await insertAuditEvents(trx, [
        {
          event: "client.created",
          clientId: inserted.id,
          actor: "bootstrap",
          details: { name: "bootstrap", keyPrefix, scopes: [...SCOPES] },
        },
      ]);
      return { created: true, clientId: inserted.id, revoked: false };
    }
    const existing = await trx
      .selectFrom("api_clients")
      .select(["id", "revoked_at"])
      .where("key_hash", "=", keyHash)
      .executeTakeFirstOrThrow();
    return { created: false, clientId: existing.id, revoked: existing.revoked_at !== null };
  });
}
