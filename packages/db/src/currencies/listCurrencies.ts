import type { Kysely } from "kysely";
import type { Database } from "../database.ts";

export interface Currency {
  code: string;
  scale: number;
}

/**
 * Every registered currency, by code.
 *
 * ```sql
 * SELECT code, scale FROM currencies ORDER BY code
 * ```
 */
export async function listCurrencies(db: Kysely<Database>): Promise<Currency[]> {
  return db.selectFrom("currencies").select(["code", "scale"]).orderBy("code").execute();
}
