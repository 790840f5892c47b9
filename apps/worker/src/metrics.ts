import type { OperationOutcome } from "@accounts/db";
import { OPERATION_TYPES, type OperationType } from "@accounts/domain";
import {
  BATCH_SIZE_BUCKETS,
  Counter,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  observeDatabasePool,
  operationCounters,
  type PoolStats,
  type RecentLatency,
  type Registry,
} from "@accounts/runtime";
import type { ApplySummary } from "./partitions/applyJob.ts";
import type { JobObserver } from "./partitions/observeJob.ts";

/** Kinds of infrastructure error counted in `accounts_operation_errors_total{kind}` by the worker. */
const WORKER_ERROR_KINDS = ["transient", "failed_operation", "failed_job"] as const;

const WEBHOOK_OUTCOMES = ["delivered", "failed", "refused"] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

const FINAL_STATUSES = ["applied", "rejected", "failed"] as const;
type FinalStatus = (typeof FINAL_STATUSES)[number];

export interface WorkerMetricSources {
  pool?: PoolStats;
  /** Accept-to-finish latencies (ms), for the `performance` check of /health. */
  appliedLatency?: RecentLatency;
}

export interface WorkerMetrics {
  readonly registry: Registry;
  /** A commit hook: counts the batch's new outcomes and observes their accept-to-finish time. */
  commitHook(outcomes: readonly OperationOutcome[]): Promise<void>;
  /** Operations isolated as poison and marked `failed` (an operator retries them). */
  operationsFailed(operations: readonly { request: { type: OperationType } }[]): void;
  /** One transient failure of a batch (retried in place). */
  transientFailure(): void;
  /** Per applied (or failed) partition job: its size and processing time. */
  readonly jobs: JobObserver;
  webhookAttempt(outcome: WebhookOutcome): void;
}

/**
 * The worker's metrics, in `registry`:
 *
 * - `accounts_operation_total{operation,status}` with status applied, rejected or failed (the API
 *   counts `accepted` in the same metric); replays of operations applied before are not counted;
 * - `accounts_operation_duration_seconds`: accept to finish (the operation's acceptedAt to the
 *   commit that made it final), 1 ms to 10 s;
 * - `accounts_operation_errors_total{kind}`: transient (a batch retried in place: database down,
 *   deadlock...), failed_operation (poison, marked failed), failed_job (a job failed for an operator);
 * - `accounts_apply_batch_operations` and `accounts_apply_batch_duration_seconds` per partition job;
 * - `accounts_webhook_deliveries_total{outcome}`: delivered, failed (retried), refused (given up);
 * - the database pool.
 *
 * @example
 * const metrics = createWorkerMetrics(createMetricsRegistry("worker"), { pool, appliedLatency });
 */
export function createWorkerMetrics(registry: Registry, sources: WorkerMetricSources = {}): WorkerMetrics {
  const registers = [registry];
  const { operations, errors } = operationCounters(registry);
  // Children made once: counting a batch is a map lookup per operation.
  const byTypeAndStatus = new Map<OperationType, Map<FinalStatus, ReturnType<typeof operations.labels>>>();
  for (const type of OPERATION_TYPES) {
    const children = new Map(FINAL_STATUSES.map((status) => [status, operations.labels(type, status)]));
    for (const child of children.values()) child.inc(0);
    byTypeAndStatus.set(type, children);
  }
  const duration = new Histogram({
    name: "accounts_operation_duration_seconds",
    help: "Time from accepting an operation (202) to the commit that made it final (applied or rejected).",
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const errorOf = new Map(WORKER_ERROR_KINDS.map((kind) => [kind, errors.labels(kind)]));
  for (const child of errorOf.values()) child.inc(0);
  const batchOperations = new Histogram({
    name: "accounts_apply_batch_operations",
    help: "Operations per partition job applied by this worker (one transaction each).",
    buckets: [...BATCH_SIZE_BUCKETS],
    registers,
  });
  const batchDuration = new Histogram({
    name: "accounts_apply_batch_duration_seconds",
    help: "Time to apply one partition job, retries in place included.",
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const deliveries = new Counter({
    name: "accounts_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome: delivered (2xx), failed (retried later), refused (given up at once).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const deliveryOf = new Map(WEBHOOK_OUTCOMES.map((outcome) => [outcome, deliveries.labels(outcome)]));
  for (const child of deliveryOf.values()) child.inc(0);
  observeDatabasePool(
    registry,
    sources.pool ?? { totalCount: 0, idleCount: 0, waitingCount: 0, options: { max: 0 } },
  );

  const count = (type: OperationType, status: FinalStatus) => byTypeAndStatus.get(type)?.get(status)?.inc();
  return {
    registry,
    async commitHook(outcomes) {
      // Hooks run right after the commit: now is when the operations became final and readable.
      const committedAt = Date.now();
      for (const outcome of outcomes) {
        // A replay was counted when it was first applied.
        if (outcome.replayed) continue;
        count(outcome.type, outcome.status);
        const ms = Math.max(0, committedAt - outcome.acceptedAt.getTime());
        duration.observe(ms / 1000);
        sources.appliedLatency?.record(ms);
      }
    },
    operationsFailed(failed) {
      for (const op of failed) count(op.request.type, "failed");
      errorOf.get("failed_operation")?.inc(failed.length);
    },
    transientFailure() {
      errorOf.get("transient")?.inc();
    },
    jobs: {
      applied(summary: ApplySummary, seconds: number) {
        batchOperations.observe(summary.operations);
        batchDuration.observe(seconds);
      },
      failed() {
        errorOf.get("failed_job")?.inc();
      },
    },
    webhookAttempt(outcome) {
      deliveryOf.get(outcome)?.inc();
    },
  };
}
