import { claimMaintenanceRun, type Db, finishMaintenanceRun } from "@accounts/db";
import type { MaintenanceTask } from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { type MaintenanceMetrics, observeRun } from "./metrics.ts";
import type { TaskRunner } from "./tasks/task.ts";

/** A request to run a task, as a maintenance job carries it. */
export interface RunRequest {
  task: MaintenanceTask;
  trigger: "schedule" | "operator";
  /** The API's run row (operator runs). */
  runId: number | null;
  jobId: string;
  /** The job scheduler's tick (scheduled runs). */
  scheduledFor: Date | null;
}

export type RunReport =
  | { kind: "succeeded" | "failed"; runId: number; details: Record<string, unknown> }
  /** This tick or request was run (or is running) elsewhere: nothing was done. */
  | { kind: "duplicate"; runId: number };

export interface RunnerDeps {
  db: Db;
  log: Logger;
  metrics: MaintenanceMetrics;
  tasks: Record<MaintenanceTask, TaskRunner>;
  now: () => Date;
  /** host:pid of this scheduler, kept in each run's details. */
  instance: string;
}

/**
 * Runs maintenance tasks and records each run: claims its `maintenance_runs` row (one per tick or
 * per operator request, whoever else holds a job for it), runs the task, writes the outcome and
 * details, and counts it in the metrics.
 */
export class MaintenanceRunner {
  readonly #deps: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
  }

  async run(request: RunRequest): Promise<RunReport> {
    const { db, log, metrics, now } = this.#deps;
    const claim = await claimMaintenanceRun(db, { ...request, instance: this.#deps.instance });
    if (claim.kind === "duplicate") {
      log.info(
        { task: request.task, jobId: request.jobId, runId: claim.runId, status: claim.status },
        "maintenance tick already run elsewhere; skipping",
      );
      return { kind: "duplicate", runId: claim.runId };
    }
    const runLog = log.child({ task: request.task, runId: claim.runId });
    runLog.info({ trigger: request.trigger, resumed: claim.resumed }, "maintenance run started");
    const started = performance.now();
    let ok: boolean;
    let details: Record<string, unknown>;
    try {
      const outcome = await this.#deps.tasks[request.task]({
        runId: claim.runId,
        trigger: request.trigger,
        now,
        log: runLog,
      });
      ok = outcome.ok;
      details = outcome.details;
    } catch (error) {
      ok = false;
      details = { error: error instanceof Error ? error.message : String(error) };
      runLog.error({ err: error }, "maintenance task threw");
    }
    const seconds = (performance.now() - started) / 1000;
    const status = ok ? "succeeded" : "failed";
    await finishMaintenanceRun(db, claim.runId, status, {
      ...details,
      durationMs: Math.round(seconds * 1000),
    });
    observeRun(metrics, request.task, status, seconds);
    if (ok) metrics.lastSuccess.set({ task: request.task }, now().getTime() / 1000);
    runLog[ok ? "info" : "error"](
      { status, seconds: Math.round(seconds * 1000) / 1000 },
      "maintenance run finished",
    );
    return { kind: status, runId: claim.runId, details };
  }
}
