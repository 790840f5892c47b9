import type { DefaultJobOptions } from "bullmq";

/**
 * The one catalog of queues and jobs. No app spells a queue name: they ask this module.
 *
 * Every BullMQ key of a queue must live in one Redis Cluster hash slot, and different partitions
 * should land on different slots, so each queue's prefix carries its own hash tag:
 * `acct:{ops-07}` gives keys like `acct:{ops-07}:ops-07:wait` (never use ioredis `keyPrefix`).
 */

export const DEFAULT_NAMESPACE = "acct";
export const DEFAULT_PARTITIONS = 16;
export const MAX_PARTITIONS = 256;

export interface QueueRef {
  /** Queue name as BullMQ and the dashboard show it. */
  name: string;
  /** BullMQ prefix, with the hash tag that pins the queue to one slot. */
  prefix: string;
}

export interface Catalog {
  namespace: string;
  partitions: number;
}

export const MAINTENANCE_TASKS = [
  "backup",
  "vacuum",
  "partitions",
  "prune-logs",
  "reconcile",
  // Physical backups (pgBackRest) and the check of WAL archiving: point-in-time recovery.
  "backup-full",
  "backup-diff",
  "backup-incr",
  "archive-check",
] as const;
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number];

export const JOB_NAMES = { apply: "apply", deliver: "deliver", ...taskJobNames() } as const;
export type QueueKind = "partition" | "webhooks" | "maintenance";

function taskJobNames(): { [K in MaintenanceTask]: K } {
  return {
    backup: "backup",
    vacuum: "vacuum",
    partitions: "partitions",
    "prune-logs": "prune-logs",
    reconcile: "reconcile",
    "backup-full": "backup-full",
    "backup-diff": "backup-diff",
    "backup-incr": "backup-incr",
    "archive-check": "archive-check",
  };
}

function ref(namespace: string, name: string): QueueRef {
  return { name, prefix: `${namespace}:{${name}}` };
}

function partitionName(partition: number): string {
  return `ops-${String(partition).padStart(2, "0")}`;
}

/** Partition queue `p` (`ops-00` ... ): applies the operations routed to partition p, in order. */
export function partitionQueue(catalog: Catalog, partition: number): QueueRef {
  if (!Number.isInteger(partition) || partition < 0 || partition >= catalog.partitions) {
    throw new RangeError(`partition ${partition} outside 0..${catalog.partitions - 1}`);
  }
  return ref(catalog.namespace, partitionName(partition));
}

/**
 * The key prefix of partition `p`, with its hash tag (`acct:{ops-07}`): the prefix of its queue,
 * and of every other key that must share the queue's Redis Cluster slot (the operations' accepted
 * records, written in the same MULTI as their job).
 */
export function partitionKeyPrefix(namespace: string, partition: number): string {
  return ref(namespace, partitionName(partition)).prefix;
}

export function allPartitionQueues(catalog: Catalog): QueueRef[] {
  return Array.from({ length: catalog.partitions }, (_, p) => partitionQueue(catalog, p));
}

export function webhooksQueue(catalog: Catalog): QueueRef {
  return ref(catalog.namespace, "webhooks");
}

export function maintenanceQueue(catalog: Catalog): QueueRef {
  return ref(catalog.namespace, "maintenance");
}

export function allQueues(catalog: Catalog): QueueRef[] {
  return [...allPartitionQueues(catalog), webhooksQueue(catalog), maintenanceQueue(catalog)];
}

/**
 * Job retention: results live in PostgreSQL, so finished jobs are kept only for inspection, bounded by
 * age (seconds) and count. Failed jobs stay longer: an operator retries them from the dashboard.
 */
export const JOB_OPTIONS: Record<QueueKind, DefaultJobOptions> = {
  partition: {
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
  },
  webhooks: {
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 50_000 },
  },
  maintenance: {
    removeOnComplete: { age: 30 * 24 * 3600, count: 500 },
    removeOnFail: { age: 30 * 24 * 3600, count: 500 },
  },
};

/** Event streams are capped: BullMQ keeps about this many events per queue. */
export const EVENTS_MAX_LEN = 1000;
