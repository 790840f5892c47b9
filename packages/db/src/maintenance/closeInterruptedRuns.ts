import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/**
 * Marks every run still `running` as failed with `reason`, and returns how many. For a database just
 * restored from a backup: the runs that were in progress when the backup was taken (the backup's own
 * run among them) will never finish there. Never call it on a live database: it would close runs
 * that are really in progress.
 *
 * ```sql
 * UPDATE maintenance_runs SET status = 'failed', finished_at = now(),
 *   details = details || jsonb_build_object('error', $1::text) WHERE status = 'running'
 * ```
 *
 * @example
 * await closeInterruptedRuns(restoredDb, "in progress when the backup was taken; closed by the restore") // 1
 */
export async function closeInterruptedRuns(db: Kysely<Database>, reason: string): Promise<number> {
  const result = await db
    .updateTable("maintenance_runs")
    .set({
      status: "failed",
      finished_at: sql<Date>`now()`,
      details: sql<string>`details || jsonb_build_object('error', ${reason}::text)`,
    })
    .where("status", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
