import { partitionsAheadEnv } from "@accounts/db";
import { queueEnv } from "@accounts/queue";
import { commonEnv, loadConfig } from "@accounts/runtime";
import { webhookPolicyEnv } from "@accounts/webhooks";
import { z } from "zod";

/** The worker's configuration, parsed once from the environment at start. */
export const workerEnvSchema = z.object({
  ...commonEnv,
  ...queueEnv,
  /** Port of /health, /ready and /metrics. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9101),
  /** How long a failed operation stays readable as `failed` (an operator retries it meanwhile). */
  FAILED_OPERATION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(3600)
    .default(30 * 86400),
  /** Retries of a batch failing for a non-transient reason before its operations are isolated. */
  NON_TRANSIENT_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** Waiting jobs of a partition applied in the same transaction as the active one (0: never). */
  ABSORB_MAX_JOBS: z.coerce.number().int().min(0).max(1000).default(100),
  /** Most operations in one transaction when absorbing waiting jobs. */
  ABSORB_MAX_OPERATIONS: z.coerce.number().int().min(1).max(20_000).default(2000),
  /** The horizon of the partitions the worker creates when a write finds its own missing. */
  ...partitionsAheadEnv,
  /** Milliseconds a partition job's lock lasts without renewal before another worker may take it. */
  PARTITION_LOCK_MS: z.coerce.number().int().min(5000).default(10_000),
  ...webhookPolicyEnv,
  /** Webhook deliveries in flight per worker process. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** Total time of one delivery attempt (connect, TLS, request, answer); docs/api.md says 10 s. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Seconds between two sweeps of the webhook outbox. */
  OUTBOX_SWEEP_SECONDS: z.coerce.number().min(1).max(3600).default(10),
  /** Age after which an outbox row counts as left behind by a dead worker and is queued by the sweeper. */
  OUTBOX_STALE_SECONDS: z.coerce.number().min(1).max(86_400).default(30),
  /** Seconds between two sweeps for acknowledged operations whose queue job is gone (pendingSweeper.ts). */
  PENDING_SWEEP_SECONDS: z.coerce.number().min(1).max(3600).default(60),
  /**
   * Age after which an `accepted` record is checked: final in PostgreSQL (its record is dropped), in
   * a job (left alone), or neither: reported `failed` as lost. Longer than any backlog you expect.
   */
  PENDING_STALE_SECONDS: z.coerce.number().min(10).max(86_400).default(600),
});

export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): Readonly<WorkerConfig> {
  return loadConfig(workerEnvSchema, env);
}
