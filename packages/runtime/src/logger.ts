import { Writable } from "node:stream";
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

/**
 * `log` without the redaction pass, for lines whose fields are all set by the code and are never
 * secrets: the API's request line (ids, method, route, path, status, duration). The pass walks the
 * wildcard paths above on every line, measured at about 15 µs of CPU per line against 4 µs for the
 * line itself (pino 10), a tenth of the API's CPU per request. Never log an object received from
 * outside, or one that may hold a key, through it.
 *
 * @example
 * const requestLog = fixedFieldsLogger(log);
 * requestLog.info({ requestId, method, route, status, ms }, "request");
 */
export function fixedFieldsLogger(log: Logger): Logger {
  return log.child({}, { redact: [] });
}

/** One JSON line of a log, parsed. */
export type LogLine = { level?: string; msg?: string } & Record<string, unknown>;

/**
 * A logger that keeps its lines in memory, parsed, so that a test can read what a component logged.
 *
 * @example
 * const { log, lines } = capturingLogger();
 * new ThrottledLog(log, { intervalMs: 1000 }).warn("k", {}, "again");
 * lines // [{ level: "warn", msg: "again", service: "test", ... }]
 */
export function capturingLogger(level = "debug"): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: createLogger({ service: "test", level, destination }), lines };
}

export type { Logger } from "pino";
