export { booleanFlag, ConfigError, commaList, commonEnv, loadConfig } from "./config.ts";
export { dependencyHealth, type HealthDependencies } from "./dependencyHealth.ts";
export {
  type CheckResult,
  type CheckStatus,
  type HealthCheck,
  type HealthReport,
  runHealthChecks,
} from "./health.ts";
export {
  capturingLogger,
  createLogger,
  fixedFieldsLogger,
  type Logger,
  type LoggerOptions,
  type LogLine,
} from "./logger.ts";
export {
  BATCH_SIZE_BUCKETS,
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  metricsEndpoint,
  observeDatabasePool,
  operationCounters,
  type PoolStats,
  Registry,
  seriesNamesOf,
} from "./metrics.ts";
export { type ProbeServerOptions, startProbeServer } from "./probeServer.ts";
export { type PerformanceCheckOptions, performanceCheck, RecentLatency } from "./recentLatency.ts";
export { onShutdown } from "./shutdown.ts";
export { type ThrottledLevel, ThrottledLog, type ThrottledLogOptions } from "./throttledLog.ts";
