import { commaList } from "@accounts/runtime";
import { z } from "zod";
import { type Catalog, DEFAULT_NAMESPACE, DEFAULT_PARTITIONS, MAX_PARTITIONS } from "./catalog.ts";
import type { RedisClient, RedisConfig } from "./connection.ts";
import type { OperationStateStore } from "./operationState.ts";

/**
 * The environment variables of the queues, shared by every process that opens them: where Redis
 * is, how the queues are named and partitioned, how long operation records live. Their defaults are
 * the catalog's (catalog.ts), spelled nowhere else.
 */
export const queueEnv = {
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .default("redis://127.0.0.1:6379"),
  REDIS_CLUSTER_NODES: commaList,
  QUEUE_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .default(DEFAULT_NAMESPACE),
  PARTITIONS: z.coerce.number().int().min(1).max(MAX_PARTITIONS).default(DEFAULT_PARTITIONS),
  /** How long an Idempotency-Key is honoured, and how long an accepted operation may wait to be applied. */
  IDEMPOTENCY_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86400)
    .default(86400),
};

/** A configuration parsed with {@link queueEnv}. */
export interface QueueConfig {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES: readonly string[];
  QUEUE_NAMESPACE: string;
  PARTITIONS: number;
  IDEMPOTENCY_TTL_SECONDS: number;
}

/** The queue layout of `config`. */
export function catalogOf(config: QueueConfig): Catalog {
  return { namespace: config.QUEUE_NAMESPACE, partitions: config.PARTITIONS };
}

/** Where the Redis of `config` is. */
export function redisConfigOf(config: QueueConfig): RedisConfig {
  return { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
}

/** The operation records (idempotency keys, pending and failed records) of `config`, over `redis`. */
export function operationStatesOf(config: QueueConfig, redis: RedisClient): OperationStateStore {
  return { redis, namespace: config.QUEUE_NAMESPACE, ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS };
}
