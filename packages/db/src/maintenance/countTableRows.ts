import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/** The tables whose row counts a restore prints. */
export const COUNTED_TABLES = [
  "currencies",
  "accounts",
  "operations",
  "ledger_entries",
  "api_clients",
  "audit_log",
  "maintenance_runs",
  "webhook_deliveries",
  "webhook_outbox",
] as const;
export type CountedTable = (typeof COUNTED_TABLES)[number];

/**
 * Exact row counts of the main tables (a full count of each: for checks after a restore, not for
 * dashboards).
 *
 * ```sql
 * SELECT count(*) FROM accounts;  -- one statement per table
 * ```
 *
 * @example
 * await countTableRows(db) // { currencies: 4, accounts: 1200, operations: 5400, ledger_entries: 9800, ... }
 */
export async function countTableRows(
  db: Kysely<Database>,
  tables: readonly CountedTable[] = COUNTED_TABLES,
): Promise<Record<CountedTable, number>> {
  const counts = {} as Record<CountedTable, number>;
  for (const table of tables) {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::bigint AS n FROM ${sql.table(table)}`.execute(
      db,
    );
    counts[table] = rows[0]?.n ?? 0;
  }
  return counts;
}
