import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/** The busy tables the vacuum task treats (partitioned parents include their partitions). */
export const VACUUM_TABLES = [
  "accounts",
  "operations",
  "ledger_entries",
  "webhook_outbox",
  "webhook_deliveries",
  "api_clients",
] as const;
export type VacuumTable = (typeof VACUUM_TABLES)[number];

/**
 * `VACUUM (ANALYZE)` of one table, and how long it took in milliseconds. VACUUM cannot run inside a
 * transaction block: call it on the pool (never on a transaction). It needs the table's owner (or,
 * from PostgreSQL 16, the MAINTAIN privilege).
 *
 * ```sql
 * VACUUM (ANALYZE) accounts
 * ```
 *
 * @example
 * await vacuumAnalyze(db, "accounts") // 12.7
 */
export async function vacuumAnalyze(db: Kysely<Database>, table: VacuumTable): Promise<number> {
  if (!VACUUM_TABLES.includes(table)) throw new Error(`refusing to vacuum unknown table ${table}`);
  const started = performance.now();
  await sql`VACUUM (ANALYZE) ${sql.table(table)}`.execute(db);
  return performance.now() - started;
}
