import {
  JOB_NAMES,
  JOB_OPTIONS,
  MAINTENANCE_TASKS,
  type MaintenanceJob,
  type MaintenanceTask,
} from "@accounts/queue";
import type { Queue } from "bullmq";
import { SCHEDULE_VARIABLES } from "./config.ts";

export interface ScheduleSync {
  /** Task -> its cron pattern. */
  enabled: Partial<Record<MaintenanceTask, string>>;
  disabled: MaintenanceTask[];
}

/**
 * Makes the queue's job schedulers match the configuration: one per enabled task, id = the task name
 * (so every replica upserts the same scheduler, and BullMQ keeps one next job per tick with the id
 * `repeat:<task>:<tick ms>`), removed for a disabled one. Scheduled jobs are not retried: the next
 * tick is the retry.
 *
 * @example
 * await syncJobSchedulers(queue, { backup: "0 *\/6 * * *", vacuum: null, ... }, "UTC")
 * // { enabled: { backup: "0 *\/6 * * *", ... }, disabled: ["vacuum"] }
 * @throws Error 'SCHEDULE_BACKUP="61 * * * *" is not a valid cron pattern: ...'
 */
export async function syncJobSchedulers(
  queue: Queue<MaintenanceJob>,
  schedules: Record<MaintenanceTask, string | null>,
  timezone: string,
): Promise<ScheduleSync> {
  const sync: ScheduleSync = { enabled: {}, disabled: [] };
  for (const task of MAINTENANCE_TASKS) {
    const pattern = schedules[task];
    if (pattern === null) {
      await queue.removeJobScheduler(task);
      sync.disabled.push(task);
      continue;
    }
    try {
      await queue.upsertJobScheduler(
        task,
        { pattern, tz: timezone },
        {
          name: JOB_NAMES[task],
          data: { v: 1, task, trigger: "schedule", runId: null },
          opts: { ...JOB_OPTIONS.maintenance, attempts: 1 },
        },
      );
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`${SCHEDULE_VARIABLES[task]}="${pattern}" is not a valid cron pattern: ${why}`, {
        cause: error,
      });
    }
    sync.enabled[task] = pattern;
  }
  return sync;
}
