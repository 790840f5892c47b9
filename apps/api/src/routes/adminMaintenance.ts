import { type Db, finishMaintenanceRun, insertMaintenanceRun, listMaintenanceRuns } from "@accounts/db";
import { JOB_NAMES, JOB_OPTIONS, MAINTENANCE_TASKS, type MaintenanceJob } from "@accounts/queue";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Queue } from "bullmq";
import type { ApiEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { errorAnswers } from "../http/schemas.ts";
import type { ApiServices } from "../services.ts";

/** What the maintenance routes use. */
export interface AdminMaintenanceDeps extends Pick<ApiServices, "requireScope"> {
  db: Db;
  /** Stores a maintenance job on the maintenance queue; rejects when Redis cannot take it. */
  enqueueMaintenance: (job: MaintenanceJob) => Promise<void>;
}

/**
 * `enqueueMaintenance` over a BullMQ Queue of the catalog's maintenance queue. The job id is derived
 * from the run id, so adding the same run twice stores one job. Operator jobs are not retried (the
 * operator asks again); the scheduler's worker runs them into the API's run row.
 *
 * @example
 * const ref = maintenanceQueue(catalog);
 * const queue = new Queue<MaintenanceJob>(ref.name, { connection: queueConnection, prefix: ref.prefix });
 * adminMaintenanceRoutes({ db, requireScope, enqueueMaintenance: enqueueOnQueue(queue) });
 */
export function enqueueOnQueue(queue: Queue<MaintenanceJob>): (job: MaintenanceJob) => Promise<void> {
  return async (job) => {
    await queue.add(JOB_NAMES[job.task], job, {
      ...JOB_OPTIONS.maintenance,
      attempts: 1,
      jobId: `run-${job.runId ?? Date.now()}`,
    });
  };
}

const taskParam = z
  .enum(MAINTENANCE_TASKS)
  .openapi({ param: { name: "task", in: "path" }, example: "backup" });

const runSchema = z
  .object({
    id: z.number().int().meta({ example: 42 }),
    task: z.string().meta({ example: "backup" }),
    status: z.enum(["running", "succeeded", "failed"]),
    trigger: z
      .string()
      .meta({ description: "`schedule` (a job scheduler's tick) or `operator`", example: "operator" }),
    startedAt: z.string().meta({ example: "2026-11-27T06:00:00.000Z" }),
    finishedAt: z.string().nullable().meta({ example: "2026-11-27T06:00:41.512Z" }),
    details: z.record(z.string(), z.unknown()).meta({
      description: "What the run did (files, timings, partitions, mismatching accounts...) or `error`",
    }),
  })
  .openapi("MaintenanceRun");

const runNowRoute = createRoute({
  method: "post",
  path: "/v1/admin/maintenance/{task}",
  tags: ["Operators"],
  summary: "Run a maintenance task now (admin)",
  description:
    "Records a run (status `running`) and queues it for the scheduler, which runs it next (one task at a " +
    "time per scheduler process). Follow it in `GET /v1/admin/maintenance/runs`. An unknown task is a 404.",
  security: [{ bearer: [] }],
  request: { params: z.object({ task: taskParam }) },
  responses: {
    202: {
      description: "Queued",
      content: {
        "application/json": { schema: z.object({ runId: z.number().int().meta({ example: 42 }) }) },
      },
    },
    ...errorAnswers.resource("No such task"),
    ...errorAnswers.body,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

const listRunsRoute = createRoute({
  method: "get",
  path: "/v1/admin/maintenance/runs",
  tags: ["Operators"],
  summary: "List maintenance runs, newest first (admin)",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(50).meta({ example: 20 }),
      task: z.enum(MAINTENANCE_TASKS).optional(),
    }),
  },
  responses: {
    200: {
      description: "Runs",
      content: { "application/json": { schema: z.object({ runs: z.array(runSchema) }) } },
    },
    ...errorAnswers.validated,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/**
 * `POST /v1/admin/maintenance/{task}` (202 `{runId}`) and `GET /v1/admin/maintenance/runs`, scope
 * `admin`. Goes behind authenticate() like every `/v1` route.
 */
export function adminMaintenanceRoutes(deps: AdminMaintenanceDeps): OpenAPIHono<ApiEnv> {
  const app = newRouter();
  const admin = deps.requireScope("admin");
  app.openapi({ ...listRunsRoute, middleware: [admin] }, async (c) => {
    const { limit, task } = c.req.valid("query");
    const rows = await listMaintenanceRuns(deps.db, { limit, ...(task ? { task } : {}) });
    const runs = rows.map((row) => ({
      id: row.id,
      task: row.task,
      status: row.status,
      trigger: row.trigger,
      startedAt: row.started_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null,
      details: row.details,
    }));
    return c.json({ runs }, 200);
  });
  app.openapi({ ...runNowRoute, middleware: [admin] }, async (c) => {
    const { task } = c.req.valid("param");
    const client = c.get("client");
    const runId = await insertMaintenanceRun(deps.db, {
      task,
      trigger: "operator",
      details: { clientId: client.id, requestId: c.get("requestId") },
    });
    try {
      await deps.enqueueMaintenance({ v: 1, task, trigger: "operator", runId });
    } catch (error) {
      // Not queued: the run will never start, so it must not stay `running`.
      const why = error instanceof Error ? error.message : String(error);
      await finishMaintenanceRun(deps.db, runId, "failed", { error: `could not queue the run: ${why}` });
      c.get("log").warn({ err: error, task, runId }, "maintenance job not queued");
      throw new ApiError(
        "unavailable",
        "the maintenance queue cannot take the request now; try again shortly",
        {
          retryAfterSeconds: 5,
        },
      );
    }
    c.get("log").info({ task, runId, clientId: client.id }, "maintenance run requested");
    return c.json({ runId }, 202);
  });
  return app;
}
