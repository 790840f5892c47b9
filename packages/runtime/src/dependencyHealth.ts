import { type HealthCheck, type HealthReport, runHealthChecks } from "./health.ts";
import { type PerformanceCheckOptions, performanceCheck } from "./recentLatency.ts";

/**
 * What the deep checks of a process's `/health` reach: its PostgreSQL pool and its Redis connection
 * (structural types: this package needs neither pg nor ioredis), and the latencies it judges.
 */
export interface HealthDependencies {
  database: { query(text: string): Promise<unknown> };
  redis: { ping(): Promise<unknown> };
  /**
   * What the `database` check adds once `SELECT 1` answered: e.g. each read replica's lag, and
   * `degraded` when one cannot be read from.
   */
  databaseDetails?: () => { status: "healthy" | "degraded"; details: Record<string, unknown> };
  /** The `performance` check (see performanceCheck); none when omitted. */
  performance?: PerformanceCheckOptions;
  /** More checks of the process, by name (e.g. the API's `redisReplicas`). */
  more?: Record<string, HealthCheck>;
}

/**
 * The `/health` report of an app process: `database` (a `SELECT 1` through its pool), `redis` (a
 * PING on its fail-fast connection) and, where given, `performance`. The API, the worker and the
 * scheduler all report this way.
 *
 * @example
 * const health = dependencyHealth({ database: pool, redis: commands, performance: { latencies: { applied }, thresholdMs: 500 } });
 * await health() // { timestamp: "...", status: "healthy", checks: { database: {...}, redis: {...}, performance: {...} } }
 */
export function dependencyHealth(deps: HealthDependencies): () => Promise<HealthReport> {
  const checks: Record<string, HealthCheck> = {
    database: async () => {
      await deps.database.query("SELECT 1");
      return deps.databaseDetails?.();
    },
    redis: async () => {
      await deps.redis.ping();
      return undefined;
    },
  };
  if (deps.performance) checks.performance = performanceCheck(deps.performance);
  Object.assign(checks, deps.more);
  return () => runHealthChecks(checks);
}
