import { hostname } from "node:os";
import type { PgTools } from "@accounts/backups";
import type { Db } from "@accounts/db";
import {
  catalogOf,
  closeSettled,
  createRedis,
  EVENTS_MAX_LEN,
  type MaintenanceJob,
  maintenanceQueue,
  redisConfigOf,
} from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { Queue } from "bullmq";
import type { Registry } from "prom-client";
import { type SchedulerConfig, schedulesOf } from "./config.ts";
import { type ScheduleSync, syncJobSchedulers } from "./jobSchedulers.ts";
import { startMaintenanceConsumer } from "./maintenanceConsumer.ts";
import { createMaintenanceMetrics, type MaintenanceMetrics } from "./metrics.ts";
import { publishMetricsFromDatabase } from "./publishMetrics.ts";
import { MaintenanceRunner } from "./runner.ts";
import { buildTasks } from "./tasks/allTasks.ts";
import { archiveMetricsPublisher } from "./tasks/archiveMetrics.ts";

/** How often the gauges are refreshed from maintenance_runs and the partition catalog. */
const METRICS_REFRESH_MS = 30_000;

export interface SchedulerOptions {
  config: SchedulerConfig;
  db: Db;
  log: Logger;
  /** Where the metrics go (one registry per instance). */
  registry: Registry;
  /** The clock of the tasks (tests move it). */
  now?: () => Date;
  /** Names this instance in run details; host:pid by default. */
  instance?: string;
  /** pg_dump / pg_restore; located on the first backup when omitted. */
  tools?: PgTools;
}

export interface Scheduler {
  readonly metrics: MaintenanceMetrics;
  readonly runner: MaintenanceRunner;
  /** Producer side of the maintenance queue. */
  readonly queue: Queue<MaintenanceJob>;
  readonly schedules: ScheduleSync;
  /** Stops taking jobs, waits for the task in progress, closes its connections. */
  close(): Promise<void>;
}

/**
 * Starts one scheduler instance: upserts the job schedulers of the configured tasks on the
 * maintenance queue, consumes that queue (one task at a time), records runs and publishes metrics.
 * Any number of instances may run against the same Redis and database: each tick runs once.
 *
 * @example
 * const scheduler = await startScheduler({ config, db, log, registry: new Registry() });
 * await scheduler.close();
 */
export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { config, db, log } = options;
  const now = options.now ?? (() => new Date());
  const catalog = catalogOf(config);
  const redis = redisConfigOf(config);
  const metrics = createMaintenanceMetrics(options.registry);
  const connection = createRedis(redis, "queue", log);
  const ref = maintenanceQueue(catalog);
  const queue = new Queue<MaintenanceJob>(ref.name, {
    connection,
    prefix: ref.prefix,
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  const runner = new MaintenanceRunner({
    db,
    log,
    metrics,
    now,
    instance: options.instance ?? `${hostname()}:${process.pid}`,
    tasks: buildTasks({
      config,
      db,
      metrics,
      connection,
      catalog,
      ...(options.tools ? { tools: options.tools } : {}),
    }),
  });
  let consumer: ReturnType<typeof startMaintenanceConsumer> | undefined;
  try {
    const schedules = await syncJobSchedulers(queue, schedulesOf(config), config.SCHEDULE_TIMEZONE);
    consumer = startMaintenanceConsumer({
      redis,
      catalog,
      runner,
      log,
      lockDurationMs: config.MAINTENANCE_LOCK_SECONDS * 1000,
    });
    const publishArchiveMetrics = archiveMetricsPublisher({ db, metrics, config, log });
    const refresh = () => {
      // In the background: `pgbackrest info` reads the repository (object storage in production),
      // which must not hold up the scheduler's start.
      void publishArchiveMetrics();
      return publishMetricsFromDatabase(db, metrics, now()).catch((error: unknown) =>
        log.warn({ err: error }, "could not refresh maintenance metrics from the database"),
      );
    };
    await refresh();
    const timer = setInterval(refresh, METRICS_REFRESH_MS);
    timer.unref();
    const running = consumer;
    log.info(
      { schedules: schedules.enabled, disabled: schedules.disabled },
      "maintenance schedules in place",
    );
    return {
      metrics,
      runner,
      queue,
      schedules,
      async close() {
        clearInterval(timer);
        await running.close();
        await closeSettled(queue);
        // quit, not disconnect: commands still in flight get their answers instead of rejecting.
        await connection.quit().catch(() => {});
      },
    };
  } catch (error) {
    await consumer?.close();
    await closeSettled(queue).catch(() => {});
    connection.disconnect();
    throw error;
  }
}
