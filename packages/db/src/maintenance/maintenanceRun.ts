import type { Selectable } from "kysely";
import type { MaintenanceRunsTable } from "../database.ts";

/** What `maintenance_runs.status` may hold: a run is `running` until it ends one way or the other. */
export type MaintenanceRunStatus = "running" | "succeeded" | "failed";

/** Who asked for a run: a job scheduler's tick, or an operator (API or ctl). */
export type MaintenanceTrigger = "schedule" | "operator";

/** The columns every run query returns, in this order. */
export const MAINTENANCE_RUN_COLUMNS = [
  "id",
  "task",
  "status",
  "trigger",
  "started_at",
  "finished_at",
  "details",
] as const;

export type MaintenanceRunRow = Pick<
  Selectable<MaintenanceRunsTable>,
  (typeof MAINTENANCE_RUN_COLUMNS)[number]
>;
