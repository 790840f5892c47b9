import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import type { Currency } from "./listCurrencies.ts";

/**
 * Registers a currency. Returns `created` when it is new, `exists` when the same code and scale are
 * registered already (a harmless repeat), and `conflict` with the registered scale when the code
 * exists with another scale (a scale never changes: stored amounts depend on it).
 *
 * ```sql
 * INSERT INTO currencies (code, scale) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING RETURNING code
 * ```
 */
export async function insertCurrency(
  db: Kysely<Database>,
  currency: Currency,
): Promise<{ outcome: "created" | "exists" } | { outcome: "conflict"; scale: number }> {
  const inserted = await db
    .insertInto("currencies")
    .values({ code: currency.code, scale: currency.scale })
    .onConflict((oc) => oc.column("code").doNothing())
    .returning("code")
    .executeTakeFirst();
  if (inserted) return { outcome: "created" };
  const existing = await db
    .selectFrom("currencies")
    .select("scale")
    .where("code", "=", currency.code)
    .executeTakeFirstOrThrow();
  return existing.scale === currency.scale
    ? { outcome: "exists" }
    : { outcome: "conflict", scale: existing.scale };
}
