import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

export interface BalanceAt {
  available: string;
  reserved: string;
  version: number;
  /** When the last change at or before the asked time was made, or null when there was none. */
  changedAt: Date | null;
}

/**
 * A balance as it was at `at`, from the ledger: each bucket's balance is the `balance_after` of its
 * last entry at or before `at` (zero when there is none), the version that of the later of the two.
 *
 * ```sql
 * SELECT b.bucket, e.balance_after, e.version, e.created_at
 * FROM (VALUES ('available'), ('reserved')) b(bucket)
 * LEFT JOIN LATERAL (SELECT balance_after, version, created_at FROM ledger_entries
 *   WHERE user_id = $1 AND currency = $2 AND bucket = b.bucket AND created_at <= $3
 *   ORDER BY id DESC LIMIT 1) e ON true
 * ```
 */
export async function getBalanceAt(
  db: Kysely<Database>,
  userId: string,
  currency: string,
  at: Date,
): Promise<BalanceAt> {
  const { rows } = await sql<{
    bucket: string;
    balance_after: string | null;
    version: number | null;
    created_at: Date | null;
  }>`
    SELECT b.bucket, e.balance_after, e.version, e.created_at
    FROM (VALUES ('available'), ('reserved')) AS b(bucket)
    LEFT JOIN LATERAL (
      SELECT balance_after, version, created_at FROM ledger_entries
      WHERE user_id = ${userId} AND currency = ${currency} AND bucket = b.bucket AND created_at <= ${at}
      ORDER BY id DESC LIMIT 1
    ) e ON true
  `.execute(db);
  const available = rows.find((r) => r.bucket === "available");
  const reserved = rows.find((r) => r.bucket === "reserved");
  const changes = [available, reserved].filter((r) => r?.created_at) as {
    version: number;
    created_at: Date;
  }[];
  const latest = changes.sort((a, b) => b.version - a.version)[0];
  return {
    available: available?.balance_after ?? "0",
    reserved: reserved?.balance_after ?? "0",
    version: latest?.version ?? 0,
    changedAt: latest?.created_at ?? null,
  };
}
