import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";
import type { MaintenanceRunStatus, MaintenanceTrigger } from "./maintenanceRun.ts";

/** "mntrun" in ASCII: the first key of the per-task advisory lock (the second is hashtext(task)). */
const CLAIM_LOCK_CLASS = 0x6d6e7472;

/** Scheduled runs are looked up this far back from their tick (keeps the lookup on the task index). */
const TICK_LOOKUP_WINDOW = "1 day";

export interface RunClaimRequest {
  task: string;
  trigger: MaintenanceTrigger;
  /** The BullMQ job that carries the request; a job run again after a crash has the same id. */
  jobId: string;
  /** The job scheduler's tick (scheduled runs). */
  scheduledFor?: Date | null;
  /** The row the API wrote for an operator's request. */
  runId?: number | null;
  /** Which scheduler process runs it (host:pid), kept in the details. */
  instance: string;
}

export type RunClaim =
  /** Run the task under `runId`. `resumed`: the same job was started before and did not finish. */
  | { kind: "claimed"; runId: number; resumed: boolean }
  /** Someone else already ran (or is running) this tick or request: do nothing. */
  | { kind: "duplicate"; runId: number; status: MaintenanceRunStatus };

interface ExistingRun {
  id: number;
  status: MaintenanceRunStatus;
  job_id: string | null;
}

/**
 * Decides, once per tick or per operator request however many scheduler processes hold a job for
 * it, who runs it, and returns the `maintenance_runs` row to record the run in.
 *
 * BullMQ gives one job per scheduler tick, but a job may run twice (a stalled job is retried) and a
 * job scheduler upserted by several processes has had bugs that queued a tick twice. So the run row
 * is the source of truth: under a per-task advisory lock, a tick (task + `scheduledFor`) or an
 * operator's `runId` gets one row. The same job coming back while its row still says `running` is
 * the retry of a crashed run and resumes it; anything else that finds a row is a duplicate.
 *
 * ```sql
 * SELECT pg_advisory_xact_lock($class, hashtext($task));
 * -- operator: SELECT id, status, details->>'jobId' FROM maintenance_runs WHERE id = $runId FOR UPDATE
 * -- schedule: ... WHERE task = $task AND trigger = 'schedule' AND details->>'scheduledFor' = $tick
 * --           AND started_at > $tick - interval '1 day'
 * INSERT INTO maintenance_runs (...) VALUES (..., 'running', ...) RETURNING id  -- or UPDATE ... details || $new
 * ```
 *
 * @example
 * await claimMaintenanceRun(db, { task: "vacuum", trigger: "schedule", jobId: "repeat:vacuum:1796184000000",
 *   scheduledFor: new Date(1796184000000), instance: "sched-1:4242" })
 * // { kind: "claimed", runId: 43, resumed: false }; the same call from a second process: { kind: "duplicate", ... }
 */
export async function claimMaintenanceRun(db: Kysely<Database>, request: RunClaimRequest): Promise<RunClaim> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${CLAIM_LOCK_CLASS}::int, hashtext(${request.task}))`.execute(trx);
    const existing = await findExisting(trx, request);
    const stamp = {
      jobId: request.jobId,
      instance: request.instance,
      ...(request.scheduledFor ? { scheduledFor: request.scheduledFor.toISOString() } : {}),
    };
    if (!existing) {
      const row = await trx
        .insertInto("maintenance_runs")
        .values({
          task: request.task,
          status: "running",
          trigger: request.trigger,
          details: JSON.stringify(request.runId ? { ...stamp, requestedRunId: request.runId } : stamp),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return { kind: "claimed", runId: row.id, resumed: false };
    }
    const sameJob = existing.job_id === null || existing.job_id === request.jobId;
    if (existing.status !== "running" || !sameJob) {
      return { kind: "duplicate", runId: existing.id, status: existing.status };
    }
    // An operator's row (no job yet) is taken over; a job that comes back resumes its own row.
    const resumed = existing.job_id !== null;
    await trx
      .updateTable("maintenance_runs")
      .set({
        started_at: sql<Date>`now()`,
        details: resumed
          ? sql<string>`details || ${JSON.stringify({ ...stamp, resumedAt: new Date().toISOString() })}::jsonb`
          : sql<string>`details || jsonb_build_object('requestedAt', started_at) || ${JSON.stringify(stamp)}::jsonb`,
      })
      .where("id", "=", existing.id)
      .execute();
    return { kind: "claimed", runId: existing.id, resumed };
  });
}

async function findExisting(
  trx: Kysely<Database>,
  request: RunClaimRequest,
): Promise<ExistingRun | undefined> {
  if (request.runId) {
    const { rows } = await sql<ExistingRun>`
      SELECT id, status, details->>'jobId' AS job_id FROM maintenance_runs WHERE id = ${request.runId} FOR UPDATE
    `.execute(trx);
    return rows[0];
  }
  if (!request.scheduledFor) {
    const { rows } = await sql<ExistingRun>`
      SELECT id, status, details->>'jobId' AS job_id FROM maintenance_runs
      WHERE task = ${request.task} AND details->>'jobId' = ${request.jobId}
      ORDER BY id LIMIT 1
    `.execute(trx);
    return rows[0];
  }
  const tick = request.scheduledFor.toISOString();
  const { rows } = await sql<ExistingRun>`
    SELECT id, status, details->>'jobId' AS job_id FROM maintenance_runs
    WHERE task = ${request.task} AND trigger = 'schedule' AND details->>'scheduledFor' = ${tick}
      AND started_at > ${tick}::timestamptz - ${TICK_LOOKUP_WINDOW}::interval
    ORDER BY id LIMIT 1
  `.execute(trx);
  return rows[0];
}
