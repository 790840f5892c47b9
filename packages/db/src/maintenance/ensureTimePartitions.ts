import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

export interface EnsurePartitionsRequest {
  /** Daily partitions of `operations` from the day before `from` to `from + daysAhead`. */
  daysAhead: number;
  /** Monthly partitions of `ledger_entries` from `from`'s month to `monthsAhead` months after it. */
  monthsAhead: number;
  /** The day to count from (its UTC date is used). */
  from: Date;
}

/**
 * Creates the time partitions that do not exist yet (through the migration's SQL function, which the
 * application role may execute) and returns how many it created.
 *
 * ```sql
 * SELECT ensure_time_partitions($1, $2, $3::date) AS created
 * ```
 *
 * @example
 * await ensureTimePartitions(db, { daysAhead: 7, monthsAhead: 2, from: new Date("2026-11-27T06:00:00Z") }) // 3
 */
export async function ensureTimePartitions(
  db: Kysely<Database>,
  request: EnsurePartitionsRequest,
): Promise<number> {
  const day = request.from.toISOString().slice(0, 10);
  const { rows } = await sql<{ created: number }>`
    SELECT ensure_time_partitions(${request.daysAhead}::int, ${request.monthsAhead}::int, ${day}::date) AS created
  `.execute(db);
  return rows[0]?.created ?? 0;
}
