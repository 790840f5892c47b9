export * from "./config.ts";
export * from "./health.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./probeServer.ts";
export * from "./recentLatency.ts";
export * from "./shutdown.ts";
export * from "./throttledLog.ts";
