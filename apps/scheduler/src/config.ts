import { backupEnv, pgbackrestEnv } from "@accounts/backups";
import { partitionsAheadEnv } from "@accounts/db";
import { MAINTENANCE_TASKS, type MaintenanceTask, queueEnv } from "@accounts/queue";
import { commonEnv, loadConfig } from "@accounts/runtime";
import { z } from "zod";

const DISABLED = new Set(["", "off", "none", "disabled", "false"]);

/**
 * A task's schedule: a cron pattern (5 fields, or 6 with seconds first), or `off` to disable the
 * task's job scheduler (operators can still run it through the API). The pattern itself is checked
 * by BullMQ when the scheduler starts; a wrong one stops the start naming the variable.
 */
const schedule = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value) => value?.trim() ?? fallback)
    .transform((value) => (DISABLED.has(value.toLowerCase()) ? null : value))
    .refine((value) => value === null || [5, 6].includes(value.split(/\s+/).length), {
      message: 'must be a cron pattern of 5 (or 6, seconds first) fields, or "off"',
    });

const days = (fallback: number) => z.coerce.number().min(0.001).max(36_500).default(fallback);

/** The scheduler's configuration, parsed once from the environment at start. */
export const schedulerEnvSchema = z.object({
  ...commonEnv,
  ...queueEnv,
  /** Port of /health, /ready and /metrics. */
  SCHEDULER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9102),

  SCHEDULE_BACKUP: schedule("0 */6 * * *"),
  SCHEDULE_VACUUM: schedule("30 3 * * *"),
  SCHEDULE_PARTITIONS: schedule("15 * * * *"),
  SCHEDULE_PRUNE_LOGS: schedule("45 4 * * *"),
  SCHEDULE_RECONCILE: schedule("0 1 * * *"),
  /** Physical backups (pgBackRest): a full one weekly (Sunday), a differential the other days, an incremental hourly. */
  SCHEDULE_BACKUP_FULL: schedule("0 1 * * 0"),
  SCHEDULE_BACKUP_DIFF: schedule("0 1 * * 1-6"),
  SCHEDULE_BACKUP_INCR: schedule("30 * * * *"),
  /** `pgbackrest check`: the repository is reachable and a WAL segment reaches it. */
  SCHEDULE_ARCHIVE_CHECK: schedule("15 * * * *"),
  /** Time zone of the cron patterns. */
  SCHEDULE_TIMEZONE: z.string().min(1).default("UTC"),
  /**
   * How long a running task's job lock lasts without renewal. The worker renews it every half of
   * this while the task runs, so a long backup keeps it; a scheduler that dies loses it after this
   * long, and another replica resumes the task.
   */
  MAINTENANCE_LOCK_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),

  ...backupEnv,
  ...pgbackrestEnv,

  ...partitionsAheadEnv,
  /** Days an operation's result stays readable; older daily partitions are dropped. */
  OPERATIONS_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  /** Months of ledger entries kept. Unset: ledger entries are never dropped. */
  LEDGER_RETENTION_MONTHS: z.coerce.number().int().min(1).max(1200).optional(),
  /** How long dropping a partition may wait for a lock before it gives up until the next run. */
  PARTITION_LOCK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(600).default(5),

  /** Folder of log files to prune. Unset: no log files are pruned. */
  LOG_DIR: z.string().min(1).optional(),
  LOG_RETENTION_DAYS: days(14),
  WEBHOOK_DELIVERIES_RETENTION_DAYS: days(30),
  AUDIT_LOG_RETENTION_DAYS: days(365),
  MAINTENANCE_RUNS_RETENTION_DAYS: days(180),

  /** Mismatching accounts named in a reconcile run's details. */
  RECONCILE_REPORT_LIMIT: z.coerce.number().int().min(1).max(1000).default(20),
});

export type SchedulerConfig = z.infer<typeof schedulerEnvSchema>;

export function loadSchedulerConfig(env: NodeJS.ProcessEnv = process.env): Readonly<SchedulerConfig> {
  return loadConfig(schedulerEnvSchema, env);
}

/** The variable holding each task's cron pattern. */
export const SCHEDULE_VARIABLES = {
  backup: "SCHEDULE_BACKUP",
  vacuum: "SCHEDULE_VACUUM",
  partitions: "SCHEDULE_PARTITIONS",
  "prune-logs": "SCHEDULE_PRUNE_LOGS",
  reconcile: "SCHEDULE_RECONCILE",
  "backup-full": "SCHEDULE_BACKUP_FULL",
  "backup-diff": "SCHEDULE_BACKUP_DIFF",
  "backup-incr": "SCHEDULE_BACKUP_INCR",
  "archive-check": "SCHEDULE_ARCHIVE_CHECK",
} as const satisfies Record<MaintenanceTask, keyof SchedulerConfig>;

/** Each task's cron pattern, or null when it is disabled. */
export function schedulesOf(config: SchedulerConfig): Record<MaintenanceTask, string | null> {
  return Object.fromEntries(
    MAINTENANCE_TASKS.map((task) => [task, config[SCHEDULE_VARIABLES[task]]]),
  ) as Record<MaintenanceTask, string | null>;
}
