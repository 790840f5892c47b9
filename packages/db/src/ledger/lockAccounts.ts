import type { PoolClient } from "pg";

export interface LockedAccount {
  user_id: string;
  currency: string;
  available: string;
  reserved: string;
  version: number;
}

/**
 * Locks the existing balance rows of `accounts` for the rest of the transaction, in the global order
 * (user_id, currency) under the "C" collation. Every transaction that moves money locks in this one
 * order, so two partitions settling against each other wait instead of deadlocking.
 *
 * ```sql
 * SELECT a.user_id, a.currency, a.available, a.reserved, a.version
 * FROM accounts a JOIN unnest($1::text[], $2::text[]) AS k(user_id, currency)
 *   ON a.user_id = k.user_id COLLATE "C" AND a.currency = k.currency COLLATE "C"
 * ORDER BY a.user_id, a.currency
 * FOR UPDATE OF a
 * ```
 */
export async function lockAccounts(
  client: PoolClient,
  accounts: readonly { userId: string; currency: string }[],
): Promise<LockedAccount[]> {
  if (accounts.length === 0) return [];
  const { rows } = await client.query<LockedAccount>({
    name: "ledger-lock-accounts",
    text: `SELECT a.user_id, a.currency, a.available, a.reserved, a.version
      FROM accounts a
      JOIN unnest($1::text[], $2::text[]) AS k(user_id, currency)
        ON a.user_id = k.user_id COLLATE "C" AND a.currency = k.currency COLLATE "C"
      ORDER BY a.user_id, a.currency
      FOR UPDATE OF a`,
    values: [accounts.map((a) => a.userId), accounts.map((a) => a.currency)],
  });
  return rows;
}
