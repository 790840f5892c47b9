import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

export type InvariantKind =
  | "currency_sum_not_zero"
  | "total_not_sum_of_buckets"
  | "negative_user_bucket"
  | "entries_differ_from_balance"
  | "version_differs_from_operations";

export interface InvariantViolation {
  kind: InvariantKind;
  /** The account (or, for currency sums, just the currency) that breaks the rule. */
  userId: string | null;
  currency: string;
  detail: string;
}

export interface InvariantReport {
  ok: boolean;
  /** The first `limit` violations, by kind, currency and user. */
  violations: InvariantViolation[];
  /** How many violations there are in all (may exceed `violations.length`). */
  violationCount: number;
  accountsChecked: number;
}

/**
 * Checks the double-entry invariants over the whole ledger (a full scan: for tests and the nightly
 * reconcile, not for a hot path):
 *
 * - every currency's balances, system accounts included, sum to zero;
 * - `total = available + reserved` on every row;
 * - no user bucket is negative;
 * - each account's entries sum to its buckets, and its version equals the number of operations that
 *   wrote entries for it.
 *
 * @example
 * const report = await checkLedgerInvariants(db, { limit: 20 });
 * report.ok // true
 */
export async function checkLedgerInvariants(
  db: Kysely<Database>,
  options: { limit?: number } = {},
): Promise<InvariantReport> {
  const limit = options.limit ?? 100;
  const { rows } = await sql<InvariantViolation & { total: number }>`
    WITH entry_sums AS (
      SELECT user_id, currency,
             coalesce(sum(amount) FILTER (WHERE bucket = 'available'), 0) AS available,
             coalesce(sum(amount) FILTER (WHERE bucket = 'reserved'), 0) AS reserved,
             count(DISTINCT operation_id) AS operations
      FROM ledger_entries GROUP BY user_id, currency
    ),
    violations AS (
      SELECT 'currency_sum_not_zero' AS kind, NULL::text AS user_id, currency,
             'sum of all balances is ' || sum(total)::text AS detail
      FROM accounts GROUP BY currency HAVING sum(total) <> 0
      UNION ALL
      SELECT 'total_not_sum_of_buckets', user_id, currency,
             format('total %s, available %s, reserved %s', total, available, reserved)
      FROM accounts WHERE total <> available + reserved
      UNION ALL
      SELECT 'negative_user_bucket', user_id, currency,
             format('available %s, reserved %s', available, reserved)
      FROM accounts WHERE user_id NOT LIKE '@%' AND (available < 0 OR reserved < 0)
      UNION ALL
      SELECT 'entries_differ_from_balance', coalesce(a.user_id, e.user_id), coalesce(a.currency, e.currency),
             format('balance %s/%s, entries sum to %s/%s', coalesce(a.available, 0), coalesce(a.reserved, 0),
                    coalesce(e.available, 0), coalesce(e.reserved, 0))
      FROM accounts a FULL JOIN entry_sums e ON a.user_id = e.user_id AND a.currency = e.currency
      WHERE coalesce(a.available, 0) <> coalesce(e.available, 0) OR coalesce(a.reserved, 0) <> coalesce(e.reserved, 0)
      UNION ALL
      SELECT 'version_differs_from_operations', a.user_id, a.currency,
             format('version %s, %s operations wrote entries', a.version, coalesce(e.operations, 0))
      FROM accounts a LEFT JOIN entry_sums e ON a.user_id = e.user_id AND a.currency = e.currency
      WHERE a.version <> coalesce(e.operations, 0)
    )
    SELECT kind, user_id AS "userId", currency, detail, count(*) OVER ()::int AS total FROM violations
    ORDER BY kind, currency, user_id LIMIT ${limit}
  `.execute(db);
  const counted = await sql<{ n: number }>`SELECT count(*)::int AS n FROM accounts`.execute(db);
  return {
    ok: rows.length === 0,
    violations: rows.map(({ total: _total, ...violation }) => violation),
    violationCount: rows[0]?.total ?? 0,
    accountsChecked: counted.rows[0]?.n ?? 0,
  };
}
