import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";
import { MAINTENANCE_RUN_COLUMNS, type MaintenanceRunRow } from "./maintenanceRun.ts";

/**
 * The latest finished run of each task (the latest successful one with `succeededOnly`), by end time.
 * The scheduler publishes its metrics from these, so that "time since the last success" survives a
 * restart and counts runs made by another replica or by `npm run ctl -- backup`.
 *
 * ```sql
 * SELECT DISTINCT ON (task) id, task, status, trigger, started_at, finished_at, details
 * FROM maintenance_runs WHERE status <> 'running' [AND status = 'succeeded']
 * ORDER BY task, finished_at DESC NULLS LAST, id DESC
 * ```
 *
 * @example
 * await findLatestRuns(db, { succeededOnly: true })
 * // [{ task: "backup", status: "succeeded", finished_at: Date, details: { sizeBytes: 1048576, ... } }, { task: "vacuum", ... }]
 */
export async function findLatestRuns(
  db: Kysely<Database>,
  options: { succeededOnly?: boolean } = {},
): Promise<MaintenanceRunRow[]> {
  let select = db
    .selectFrom("maintenance_runs")
    .distinctOn("task")
    .select(MAINTENANCE_RUN_COLUMNS)
    .where("status", "<>", "running");
  if (options.succeededOnly) select = select.where("status", "=", "succeeded");
  return select.orderBy("task").orderBy(sql`finished_at DESC NULLS LAST`).orderBy("id", "desc").execute();
}
