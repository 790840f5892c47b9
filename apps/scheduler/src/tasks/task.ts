import type { Logger } from "@accounts/runtime";

/** What a task run is given. */
export interface TaskContext {
  runId: number;
  trigger: "schedule" | "operator";
  /** The clock: tests move it to make partitions expire. */
  now: () => Date;
  log: Logger;
}

/** How a task run ended: `ok` false fails the run (and alerts); `details` go into maintenance_runs. */
export interface TaskOutcome {
  ok: boolean;
  details: Record<string, unknown>;
}

/** One maintenance task. Throwing counts as a failed run whose details hold the error. */
export type TaskRunner = (context: TaskContext) => Promise<TaskOutcome>;
