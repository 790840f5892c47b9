import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/**
 * Ends a run: sets its final status and end time and merges `details` into what it holds (keys given
 * here win). Returns false when no such run exists.
 *
 * ```sql
 * UPDATE maintenance_runs SET status = $2, finished_at = now(), details = details || $3::jsonb WHERE id = $1
 * ```
 *
 * @example
 * await finishMaintenanceRun(db, 42, "succeeded", { file: "accounts-20261127T060000.000Z.dump", sizeBytes: 1048576 })
 */
export async function finishMaintenanceRun(
  db: Kysely<Database>,
  runId: number,
  status: "succeeded" | "failed",
  details: Record<string, unknown>,
): Promise<boolean> {
  const result = await db
    .updateTable("maintenance_runs")
    .set({
      status,
      finished_at: sql<Date>`now()`,
      details: sql<string>`details || ${JSON.stringify(details)}::jsonb`,
    })
    .where("id", "=", runId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
