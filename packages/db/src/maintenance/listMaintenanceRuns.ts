import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { MAINTENANCE_RUN_COLUMNS, type MaintenanceRunRow } from "./maintenanceRun.ts";

export interface ListMaintenanceRunsQuery {
  /** At most this many rows (1-1000). */
  limit: number;
  /** Only the runs of this task. */
  task?: string;
}

/**
 * Runs, newest first (by id, which follows creation order).
 *
 * ```sql
 * SELECT id, task, status, trigger, started_at, finished_at, details FROM maintenance_runs
 * [WHERE task = $1] ORDER BY id DESC LIMIT $2
 * ```
 *
 * @example
 * await listMaintenanceRuns(db, { limit: 20, task: "backup" })
 * // [{ id: 42, task: "backup", status: "succeeded", trigger: "schedule", started_at: Date, finished_at: Date, details: {...} }]
 */
export async function listMaintenanceRuns(
  db: Kysely<Database>,
  query: ListMaintenanceRunsQuery,
): Promise<MaintenanceRunRow[]> {
  const limit = Math.min(Math.max(Math.trunc(query.limit), 1), 1000);
  let select = db.selectFrom("maintenance_runs").select(MAINTENANCE_RUN_COLUMNS);
  if (query.task !== undefined) select = select.where("task", "=", query.task);
  return select.orderBy("id", "desc").limit(limit).execute();
}
