import { type Db, finalOperationOf, findOperation, insertDeliveryAttempt } from "@accounts/db";
import { finalView, isOperationId } from "@accounts/domain";
import {
  type Catalog,
  closeSettled,
  createRedis,
  type DeliverJob,
  deliverJobSchema,
  type RedisConfig,
  webhooksQueue,
} from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import {
  type CallbackUrlPolicy,
  checkCallbackUrl,
  createWebhookSender,
  type DeliveryResult,
  isDelivered,
  retryDelayMs,
  signWebhook,
  WebhookSecretError,
  type WebhookSender,
  type WebhookSignatureHeaders,
  webhookIdOf,
} from "@accounts/webhooks";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { SecretCache } from "./secretCache.ts";

export interface WebhookDeliveryDeps {
  db: Db;
  redis: RedisConfig;
  catalog: Catalog;
  log: Logger;
  /** What callback URLs may reach (`WEBHOOK_ALLOW_HTTP`, `WEBHOOK_ALLOWLIST`). */
  policy: CallbackUrlPolicy;
  /** Deliveries in flight per process (`WEBHOOK_CONCURRENCY`). */
  concurrency?: number;
  /** Total time of one attempt (`WEBHOOK_TIMEOUT_MS`, 10 s). */
  timeoutMs?: number;
  /** Delay before retry n (1-based). The production schedule (>= 24 h) unless a test shortens it. */
  retryDelayMs?: (retry: number) => number;
  /** How long a client's secret is cached. */
  secretTtlMs?: number;
  /** The HTTP side; a real sender by default. */
  sender?: WebhookSender;
  /** Called once per attempt, e.g. to count deliveries in a metric. */
  onAttempt?: (outcome: "delivered" | "failed" | "refused") => void;
}

export interface WebhookDelivery {
  readonly worker: Worker<DeliverJob>;
  /** Stops taking jobs, lets attempts in flight finish, closes connections. */
  close(): Promise<void>;
}

/** A failed attempt: BullMQ retries it on the schedule. */
class WebhookAttemptError extends Error {
  override readonly name = "WebhookAttemptError";
}

type AttemptRecord = { statusCode: number; durationMs: number } | { error: string; durationMs: number };

function describeResult(result: DeliveryResult): string {
  return "statusCode" in result ? `answered ${result.statusCode}` : result.error;
}

function createProcessor(deps: WebhookDeliveryDeps, sender: WebhookSender, secrets: SecretCache) {
  return async function deliver(job: Job<DeliverJob>): Promise<void> {
    const parsed = deliverJobSchema.safeParse(job.data);
    if (!parsed.success || !isOperationId(parsed.data.operationId)) {
      throw new UnrecoverableError(`invalid deliver job: ${parsed.error?.message ?? "bad operation id"}`);
    }
    const data = parsed.data;
    const attempt = job.attemptsMade + 1;
    const at = new Date();
    const record = (result: AttemptRecord) =>
      insertDeliveryAttempt(deps.db, {
        operation_id: data.operationId,
        client_id: data.clientId,
        attempt,
        at,
        url: data.url,
        status_code: "statusCode" in result ? result.statusCode : null,
        error: "error" in result ? result.error : null,
        duration_ms: result.durationMs,
      });
    const giveUp = async (
      error: string,
      outcome: "failed" | "refused" = "failed",
      durationMs = 0,
    ): Promise<never> => {
      await record({ error, durationMs });
      deps.onAttempt?.(outcome);
      throw new UnrecoverableError(error);
    };

    const retryLater = async (error: string, durationMs: number): Promise<never> => {
      await record({ error, durationMs });
      deps.onAttempt?.("failed");
      throw new WebhookAttemptError(error);
    };

    const row = await findOperation(deps.db, data.operationId);
    if (!row) return giveUp("the operation is no longer stored");
    const secret = await secrets.get(row.client_id);
    if (!secret) return giveUp("the client has no webhook secret");

    // Judged again now: DNS may point elsewhere than at submission. The sender then connects to
    // exactly the addresses judged here.
    const started = performance.now();
    const check = await checkCallbackUrl(data.url, deps.policy);
    if (!check.ok) {
      const error = `callback URL refused: ${check.reason}`;
      const durationMs = Math.round(performance.now() - started);
      if (!check.transient) return giveUp(error, "refused", durationMs);
      return retryLater(error, durationMs);
    }

    const body = JSON.stringify(finalView(finalOperationOf(row)));
    let headers: WebhookSignatureHeaders;
    try {
      headers = signWebhook({ secret, id: webhookIdOf(row.id), body, timestampSeconds: Date.now() / 1000 });
    } catch (error) {
      // A malformed stored secret: an operator can fix it within the retry window.
      if (error instanceof WebhookSecretError) return retryLater(error.message, 0);
      throw error;
    }
    const result = await sender.send({ target: check, body, headers });
    await record(result);
    const delivered = isDelivered(result);
    deps.onAttempt?.(delivered ? "delivered" : "failed");
    deps.log.debug(
      { operationId: row.id, attempt, host: check.url.host, result: describeResult(result) },
      delivered ? "webhook delivered" : "webhook attempt failed",
    );
    if (!delivered) throw new WebhookAttemptError(describeResult(result));
  };
}

/**
 * The webhook deliverer: a BullMQ worker on the webhooks queue that POSTs each operation's final
 * representation, signed with its client's secret, to the callback URL, and records every attempt
 * in `webhook_deliveries`. A failed attempt is retried on the schedule of `@accounts/webhooks`
 * (exponential from 1 s, capped at 1 h, jittered, 44 attempts: at least 24 h); a URL the guard
 * refuses, an operation no longer stored or a client without secret end the job at once. Delivery is
 * at-least-once: an attempt whose answer came but whose record failed is tried again.
 *
 * @example
 * const delivery = startWebhookDelivery({ db, redis, catalog, log, policy, concurrency: 16 });
 * // on shutdown: await delivery.close();
 */
export function startWebhookDelivery(deps: WebhookDeliveryDeps): WebhookDelivery {
  const ref = webhooksQueue(deps.catalog);
  const connection = createRedis(deps.redis, "consumer", deps.log);
  const ownSender = deps.sender === undefined;
  const sender = deps.sender ?? createWebhookSender({ timeoutMs: deps.timeoutMs ?? 10_000 });
  const secrets = new SecretCache(deps.db, deps.secretTtlMs);
  const delayOf = deps.retryDelayMs ?? ((retry: number) => retryDelayMs(retry));

  const worker = new Worker<DeliverJob>(ref.name, createProcessor(deps, sender, secrets), {
    connection,
    prefix: ref.prefix,
    concurrency: deps.concurrency ?? 16,
    // A job also stalls when its worker dies; it then runs again. Allow that often enough that a
    // few crashes never drop a notification, yet a job that kills every worker ends eventually.
    maxStalledCount: 100,
    settings: { backoffStrategy: (attemptsMade: number) => delayOf(attemptsMade) },
  });
  worker.on("failed", (job, error) => {
    if (!job) return;
    const final =
      error instanceof UnrecoverableError ||
      error.name === "UnrecoverableError" ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) {
      deps.log.warn(
        { operationId: job.data.operationId, attempts: job.attemptsMade, reason: error.message },
        "webhook given up",
      );
    }
  });
  worker.on("error", (error) => deps.log.warn({ err: error }, "webhook worker error"));

  return {
    worker,
    async close() {
      await closeSettled(worker);
      if (ownSender) sender.close();
      connection.disconnect();
    },
  };
}
