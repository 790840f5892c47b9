import {
  type Catalog,
  closeSettled,
  createRedis,
  type DeliverJob,
  EVENTS_MAX_LEN,
  JOB_NAMES,
  JOB_OPTIONS,
  type RedisConfig,
  webhooksQueue,
} from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { DELIVERY_ATTEMPTS, WEBHOOK_BACKOFF_TYPE } from "@accounts/webhooks";
import { type JobsOptions, Queue } from "bullmq";

/** A notification to queue: one operation's final result, owed to its callback URL. */
export interface OwedNotification {
  operationId: string;
  clientId: string;
  url: string;
  acceptedAt: Date;
}

/** The producer side of the webhooks queue and the connection it owns. */
export interface WebhookQueue {
  readonly queue: Queue<DeliverJob>;
  close(): Promise<void>;
}

/**
 * Options of every delivery job: the retry schedule of `@accounts/webhooks` (44 attempts, custom
 * backoff computed by the delivery worker's `backoffStrategy`), the catalog's retention, and few
 * stack traces (a job may fail 43 times; each trace would stay in Redis for the job's lifetime).
 */
const DELIVERY_JOB_OPTIONS: JobsOptions = {
  ...JOB_OPTIONS.webhooks,
  attempts: DELIVERY_ATTEMPTS,
  backoff: { type: WEBHOOK_BACKOFF_TYPE },
  stackTraceLimit: 1,
};

/**
 * The job id of an operation's delivery: the operation id itself, so queuing the same notification
 * twice (dispatcher and sweeper, or two sweeps) adds one job while it is kept. Operation ids never
 * contain ':' (BullMQ refuses those in custom ids).
 */
function deliveryJobId(operationId: string): string {
  return operationId;
}

/** The `addBulk` entries of these notifications. */
export function deliveryJobs(owed: readonly OwedNotification[]) {
  return owed.map((n) => ({
    name: JOB_NAMES.deliver,
    data: {
      v: 1 as const,
      operationId: n.operationId,
      clientId: n.clientId,
      url: n.url,
      acceptedAt: n.acceptedAt.getTime(),
    } satisfies DeliverJob,
    opts: { ...DELIVERY_JOB_OPTIONS, jobId: deliveryJobId(n.operationId) },
  }));
}

/**
 * The producer side of the webhooks queue, on its own fail-fast connection: a queuing attempt while
 * Redis is away fails at once (the outbox keeps the notification) instead of stalling the caller.
 *
 * @example
 * const webhooks = openWebhookQueue({ url: "redis://127.0.0.1:6379" }, { namespace: "acct", partitions: 16 }, log);
 * await webhooks.queue.addBulk(deliveryJobs([{ operationId, clientId, url, acceptedAt }]));
 */
export function openWebhookQueue(redis: RedisConfig, catalog: Catalog, log: Logger): WebhookQueue {
  const ref = webhooksQueue(catalog);
  const connection = createRedis(redis, "queue", log);
  const queue = new Queue<DeliverJob>(ref.name, {
    connection,
    prefix: ref.prefix,
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  return {
    queue,
    async close() {
      await closeSettled(queue);
      // BullMQ does not end a connection it was given.
      connection.disconnect();
    },
  };
}
