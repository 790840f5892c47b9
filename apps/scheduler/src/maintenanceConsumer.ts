import {
  type Catalog,
  closeSettled,
  createRedis,
  type MaintenanceJob,
  maintenanceJobSchema,
  maintenanceQueue,
  type RedisConfig,
} from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { MaintenanceRunner } from "./runner.ts";

/** A run that ended `failed`: thrown so that the job shows as failed on the dashboard too. */
class MaintenanceRunFailedError extends Error {
  override readonly name = "MaintenanceRunFailedError";
}

export interface MaintenanceConsumerDeps {
  redis: RedisConfig;
  catalog: Catalog;
  runner: MaintenanceRunner;
  log: Logger;
  /** The job lock; renewed every half of it while the task runs. */
  lockDurationMs: number;
}

/** The tick a job scheduler's job is for: `opts.prevMillis`, else the end of its id `repeat:<task>:<ms>`. */
function scheduledTickOf(job: Pick<Job, "id" | "opts">): Date | null {
  const fromOpts = job.opts.prevMillis;
  if (typeof fromOpts === "number" && fromOpts > 0) return new Date(fromOpts);
  const millis = /^repeat:.+:(\d+)$/.exec(job.id ?? "")?.[1];
  return millis ? new Date(Number(millis)) : null;
}

/**
 * The consumer of the maintenance queue in this scheduler process: one task at a time (maintenance
 * is heavy, and replicas share the work). Jobs are not retried by BullMQ (the next tick is the
 * retry), but a job whose process died is picked up again once (stalled) and resumes its run row.
 *
 * @example
 * const consumer = startMaintenanceConsumer({ redis, catalog, runner, log, lockDurationMs: 60_000 });
 * await consumer.close(); // waits for the task in progress
 */
export function startMaintenanceConsumer(deps: MaintenanceConsumerDeps): {
  worker: Worker;
  close(): Promise<void>;
} {
  const ref = maintenanceQueue(deps.catalog);
  const connection = createRedis(deps.redis, "consumer", deps.log);
  const worker = new Worker<MaintenanceJob>(
    ref.name,
    async (job) => {
      const parsed = maintenanceJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`not a maintenance job: ${parsed.error.message}`);
      const data = parsed.data;
      const report = await deps.runner.run({
        task: data.task,
        trigger: data.trigger,
        runId: data.runId,
        jobId: job.id ?? `${job.name}:${job.timestamp}`,
        scheduledFor: data.trigger === "schedule" ? scheduledTickOf(job) : null,
      });
      if (report.kind === "failed") {
        const why = typeof report.details.error === "string" ? `: ${report.details.error}` : "";
        throw new MaintenanceRunFailedError(`${data.task} run ${report.runId} failed${why}`);
      }
      return { runId: report.runId, outcome: report.kind };
    },
    {
      connection,
      prefix: ref.prefix,
      concurrency: 1,
      lockDuration: deps.lockDurationMs,
      maxStalledCount: 1,
    },
  );
  worker.on("error", (error) => deps.log.warn({ err: error }, "maintenance consumer error"));
  return {
    worker,
    async close() {
      await closeSettled(worker);
      // quit, not disconnect: commands still in flight get their answers instead of rejecting.
      await connection.quit().catch(() => {});
    },
  };
}
