import { queueEnv } from "@accounts/queue";
import { booleanFlag, commonEnv, loadConfig } from "@accounts/runtime";
import { webhookPolicyEnv } from "@accounts/webhooks";
import { z } from "zod";

/** The API's configuration, parsed once from the environment at start. */
export const apiEnvSchema = z.object({
  ...commonEnv,
  ...queueEnv,
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  /** Seconds a draining instance keeps answering before it closes (the load balancer's grace). */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(120).default(1),
  /**
   * Seconds between reloads of the API clients into memory: a revoked key keeps working on an
   * instance for at most this long. A new key works at once (an unknown key triggers a reload,
   * at most one per second).
   */
  CLIENT_REFRESH_SECONDS: z.coerce.number().min(0.1).max(300).default(5),
  /** Failed authentications one address may make per minute before it gets 429 (brute force). */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
  /** A key with every scope, created at start when no client has it (local use and tests). */
  BOOTSTRAP_API_KEY: z.string().optional(),
  /**
   * Extra wait (ms) for company before a partition's job is stored when none of its stores is in
   * flight. 0: at once (group commit: what arrives during a store forms the next job).
   */
  COALESCE_MAX_WAIT_MS: z.coerce.number().min(0).max(50).default(0),
  /** Most operations in one queue job. */
  COALESCE_MAX_OPERATIONS: z.coerce.number().int().min(1).max(5000).default(500),
  /**
   * Backpressure: while more than this many jobs wait on a partition (the workers are behind), its
   * next job is held up to BACKLOG_MAX_HOLD_MS before it is stored, so callers slow down to the pace
   * of applying instead of growing the backlog. 0 turns it off.
   */
  BACKLOG_MAX_WAITING_JOBS: z.coerce.number().int().min(0).max(1_000_000).default(100),
  /**
   * Backpressure too: the next job of a partition is also held while the operations waiting on it
   * (its waiting jobs times the size of the job being stored) pass this. 0 turns it off.
   */
  BACKLOG_MAX_WAITING_OPERATIONS: z.coerce.number().int().min(0).max(10_000_000).default(2000),
  /** Longest a job is held by the backpressure (ms); it is then stored anyway (never refused). */
  BACKLOG_MAX_HOLD_MS: z.coerce.number().int().min(1).max(10_000).default(250),
  /**
   * Replicas of the owning Redis node that must confirm a stored job (WAIT, one per job) before its
   * operations are answered 202. 0: a 202 means "in the master's append-only file" only, which a
   * lost master machine loses. Production sets 1 (infra/), with a replica per master.
   */
  ACCEPT_MIN_REPLICAS: z.coerce.number().int().min(0).max(5).default(0),
  /**
   * Longest wait (ms) for those replicas; when they do not confirm in time the submission gets 503
   * with Retry-After, and a retry with the same Idempotency-Key answers the same operation id.
   */
  ACCEPT_REPLICA_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Submissions get 503 once Redis memory use passes this share of maxmemory. */
  REDIS_MEMORY_REFUSE_RATIO: z.coerce.number().min(0.1).max(1).default(0.9),
  /**
   * One JSON log line per request (request id, route, status, duration, client). Measured at about
   * 4 µs of CPU per request (pino, without the redaction pass: its fields are never secrets), a
   * few percent of a request's cost: on by default. The metrics are kept either way.
   */
  LOG_REQUESTS: booleanFlag(true),
  /**
   * Seconds an idle keep-alive connection stays open. Above the idle timeout of the load balancer
   * or client pool in front (60 s for most), so that the caller, not this server, closes an idle
   * connection: at Node's default of 5 s a client reusing a pooled connection races the server
   * closing it and reads "other side closed".
   */
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(65),
  /** Seconds a client has to send a request's headers; above the keep-alive timeout (checked). */
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(66),
  /**
   * Seconds a client has to send a whole request (headers and body), then 408 and the connection
   * is closed: a caller dribbling a body cannot hold a connection. At least the headers timeout.
   */
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(120),
  /** Largest request head (request line and headers) in bytes; a larger one is answered 431. */
  HTTP_MAX_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(16 * 1024),
  /**
   * Read replicas (comma-separated PostgreSQL URLs). Balances, balance-at-time, entries and final
   * operations are read from one that replayed past the commit high-water mark and lags by at most
   * REPLICA_MAX_LAG_SECONDS, else from DATABASE_URL. Empty: every read goes to the primary.
   */
  DATABASE_REPLICA_URLS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((url) => url.trim())
        .filter((url) => url !== ""),
    )
    .pipe(z.array(z.url({ protocol: /^postgres(ql)?$/ })).max(16)),
  /** A replica further behind the primary than this (seconds) is not read from. */
  REPLICA_MAX_LAG_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  /** How often (ms) the API reads each replica's replay position and the primary's WAL position. */
  REPLICA_POLL_MS: z.coerce.number().int().min(10).max(10_000).default(100),
  ...webhookPolicyEnv,
});

export type ApiConfig = z.infer<typeof apiEnvSchema>;

/** The rules between variables (Node refuses a headers timeout above the request timeout). */
const checkedApiEnvSchema = apiEnvSchema
  .refine((c) => c.HTTP_HEADERS_TIMEOUT_SECONDS > c.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS, {
    path: ["HTTP_HEADERS_TIMEOUT_SECONDS"],
    message: "must be above HTTP_KEEP_ALIVE_TIMEOUT_SECONDS",
  })
  .refine((c) => c.HTTP_REQUEST_TIMEOUT_SECONDS >= c.HTTP_HEADERS_TIMEOUT_SECONDS, {
    path: ["HTTP_REQUEST_TIMEOUT_SECONDS"],
    message: "must be at least HTTP_HEADERS_TIMEOUT_SECONDS",
  });

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ApiConfig> {
  return loadConfig(checkedApiEnvSchema, env);
}
