import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/** The range-partitioned tables whose partitions the scheduler manages. */
export type TimePartitionedTable = "operations" | "ledger_entries";

export interface TimePartition {
  parent: TimePartitionedTable;
  name: string;
  /** True while a `DETACH ... CONCURRENTLY` of it was interrupted (it must be finalized). */
  detachPending: boolean;
}

/**
 * The partitions attached to `operations` and `ledger_entries`, by name. Their bounds follow from
 * their names (`operations_YYYYMMDD`, `ledger_entries_YYYYMM`), which `ensure_time_partitions` gives.
 *
 * ```sql
 * SELECT p.relname AS parent, c.relname AS name, i.inhdetachpending AS "detachPending"
 * FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
 * WHERE p.relname IN ('operations', 'ledger_entries') AND p.relnamespace = 'public'::regnamespace
 * ORDER BY p.relname, c.relname
 * ```
 *
 * @example
 * await listTimePartitions(db)
 * // [{ parent: "ledger_entries", name: "ledger_entries_202611", detachPending: false }, { parent: "operations", ... }]
 */
export async function listTimePartitions(db: Kysely<Database>): Promise<TimePartition[]> {
  const { rows } = await sql<TimePartition>`
    SELECT p.relname AS parent, c.relname AS name, i.inhdetachpending AS "detachPending"
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname IN ('operations', 'ledger_entries') AND p.relnamespace = 'public'::regnamespace
    ORDER BY p.relname, c.relname
  `.execute(db);
  return rows;
}
