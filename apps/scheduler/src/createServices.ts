import { createDb, createPool, type Db } from "@accounts/db";
import { createRedis, redisConfigOf } from "@accounts/queue";
import {
  createLogger,
  createMetricsRegistry,
  dependencyHealth,
  type HealthReport,
  type Logger,
  observeDatabasePool,
  type Registry,
} from "@accounts/runtime";
import type { SchedulerConfig } from "./config.ts";

/** What a scheduler process runs on, built from its configuration. */
export interface SchedulerServices {
  readonly log: Logger;
  readonly db: Db;
  /** The process's metrics (the pool's gauges are in it; startScheduler adds the maintenance ones). */
  readonly registry: Registry;
  /** The deep checks of `/health`. */
  health(): Promise<HealthReport>;
  /** Closes the health connection and the pool (after the scheduler stopped). */
  close(): Promise<void>;
}

/**
 * Builds the scheduler's services from `config`: the pool, the metrics registry and the health
 * checks (on a fail-fast Redis connection of their own: a PING while Redis is away fails at once
 * instead of queueing).
 *
 * @example
 * const services = createServices(loadSchedulerConfig());
 * const scheduler = await startScheduler({ config, db: services.db, log: services.log, registry: services.registry });
 */
export function createServices(
  config: Readonly<SchedulerConfig>,
  options: { log?: Logger } = {},
): SchedulerServices {
  const log = options.log ?? createLogger({ service: "scheduler", level: config.LOG_LEVEL });
  const pool = createPool(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    applicationName: "accounts-scheduler",
  });
  const redis = createRedis(redisConfigOf(config), "commands", log);
  const registry = createMetricsRegistry("scheduler");
  observeDatabasePool(registry, pool);
  const db = createDb(pool);
  return {
    log,
    db,
    registry,
    health: dependencyHealth({ database: pool, redis }),
    async close() {
      redis.disconnect();
      await db.destroy();
    },
  };
}
