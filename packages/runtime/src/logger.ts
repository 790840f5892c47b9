import { type Logger, pino } from "pino";

/**
 * Paths never written to logs. Keys and secrets are also never passed to a logger on purpose; this
 * list is the safety net for an object logged whole by mistake.
 */
const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "apiKey",
  "*.apiKey",
  "key",
  "*.key",
  "secret",
  "*.secret",
  "webhookSecret",
  "*.webhookSecret",
  "password",
  "*.password",
  "databaseUrl",
  "*.databaseUrl",
];

export interface LoggerOptions {
  /** The process: api, worker, scheduler. */
  service: string;
  level?: string;
  /** A writable destination (tests); standard output by default. */
  destination?: NodeJS.WritableStream;
}

/**
 * One JSON line per event, with `service` on every line and secrets redacted.
 *
 * @example
 * const log = createLogger({ service: "worker", level: "info" });
 * log.info({ partition: 3, operations: 120, ms: 4.2 }, "batch applied");
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? process.stdout,
  );
}

export type { Logger } from "pino";
