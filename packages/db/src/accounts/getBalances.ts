import type { Kysely } from "kysely";
import type { Database } from "../database.ts";

export interface BalanceRow {
  currency: string;
  available: string;
  reserved: string;
  total: string;
  version: number;
  updatedAt: Date;
}

/**
 * The balance rows of a user, one per currency held, optionally only `currency`.
 *
 * ```sql
 * SELECT currency, available, reserved, total, version, updated_at FROM accounts
 * WHERE user_id = $1 [AND currency = $2] ORDER BY currency
 * ```
 */
export async function getBalances(
  db: Kysely<Database>,
  userId: string,
  currency?: string,
): Promise<BalanceRow[]> {
  let query = db
    .selectFrom("accounts")
    .select(["currency", "available", "reserved", "total", "version", "updated_at as updatedAt"])
    .where("user_id", "=", userId);
  if (currency !== undefined) query = query.where("currency", "=", currency);
  return query.orderBy("currency").execute();
}
